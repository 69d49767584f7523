#include "tests/host_oracle/native_client.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <spawn.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace tx86::oracle {

static_assert(sizeof(OracleInput) == 44 + kDataBytes, "OracleInput layout differs from the helper's");
static_assert(sizeof(OracleOutput) == 56 + kDataBytes, "OracleOutput layout differs from the helper's");

namespace {

void write_all(int fd, const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(std::string("native helper: write failed: ") + std::strerror(errno));
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void read_all(int fd, void* data, size_t size) {
  auto* p = static_cast<uint8_t*>(data);
  while (size > 0) {
    ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("native helper: it stopped answering (crashed?)");
    p += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace

NativeHelper::NativeHelper(const std::string& path) {
  // A dead helper must show up as an error from write(), not kill us.
  std::signal(SIGPIPE, SIG_IGN);
  int in_pipe[2], out_pipe[2];
  if (pipe(in_pipe) != 0 || pipe(out_pipe) != 0) throw std::runtime_error("native helper: pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_addclose(&actions, in_pipe[1]);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  char* argv[] = {const_cast<char*>(path.c_str()), nullptr};
  int rc = posix_spawn(&pid_, path.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  to_helper_ = in_pipe[1];
  from_helper_ = out_pipe[0];
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("native helper: cannot start " + path + ": " + std::strerror(rc));
  }
}

NativeHelper::~NativeHelper() {
  if (to_helper_ >= 0) {
    uint32_t zero = 0;
    if (outstanding_ == 0) {
      ssize_t ignored = ::write(to_helper_, &zero, sizeof zero);
      (void)ignored;
    }
    ::close(to_helper_);
  }
  if (from_helper_ >= 0) ::close(from_helper_);
  if (pid_ > 0) {
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

namespace {

void append_input(std::vector<uint8_t>& buf, const Sequence& s, bool trace) {
  OracleInput in{};
  in.code_bytes = static_cast<uint32_t>(s.code.size());
  in.trace = trace ? 1 : 0;
  for (int r = 0; r < 8; ++r) in.gpr[r] = s.gpr[r];
  in.eflags = s.eflags;
  std::memcpy(in.data, s.data.data(), kDataBytes);
  const auto* p = reinterpret_cast<const uint8_t*>(&in);
  buf.insert(buf.end(), p, p + sizeof in);
  buf.insert(buf.end(), s.code.begin(), s.code.end());
}

}  // namespace

OracleOutput NativeHelper::trace(const Sequence& seq, std::vector<OracleStep>& steps) {
  if (outstanding_ != 0) throw std::logic_error("native helper: trace() with a batch outstanding");
  std::vector<uint8_t> buf(4);
  const uint32_t one = 1;
  std::memcpy(buf.data(), &one, 4);
  append_input(buf, seq, true);
  write_all(to_helper_, buf.data(), buf.size());
  OracleOutput out;
  read_all(from_helper_, &out, sizeof out);
  uint32_t n = 0;
  read_all(from_helper_, &n, sizeof n);
  if (n > ORACLE_MAX_STEPS) throw std::runtime_error("native helper: bad trace length");
  steps.resize(n);
  read_all(from_helper_, steps.data(), n * sizeof(OracleStep));
  return out;
}

void NativeHelper::send(const std::vector<Sequence>& batch) {
  if (outstanding_ != 0) throw std::logic_error("native helper: a batch is already outstanding");
  std::vector<uint8_t> buf;
  const uint32_t count = static_cast<uint32_t>(batch.size());
  buf.insert(buf.end(), reinterpret_cast<const uint8_t*>(&count), reinterpret_cast<const uint8_t*>(&count) + 4);
  for (const Sequence& s : batch) append_input(buf, s, false);
  write_all(to_helper_, buf.data(), buf.size());
  outstanding_ = batch.size();
}

std::vector<OracleOutput> NativeHelper::receive() {
  std::vector<OracleOutput> out(outstanding_);
  read_all(from_helper_, out.data(), out.size() * sizeof(OracleOutput));
  outstanding_ = 0;
  return out;
}

}  // namespace tx86::oracle
