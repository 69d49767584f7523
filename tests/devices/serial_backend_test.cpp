// Serial backends: spec parsing and its error messages, the file and null
// backends, and the stdio backend on a pseudo-terminal (raw mode on while a
// backend lives, restored on every way out of the process).
#include "devices/serial_backend.h"
#include "tests/devices/device_test_util.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

using namespace tx86;
using devices::make_serial_backend;
using devices::testing::slurp;
using devices::testing::temp_path;

namespace {


std::string error_of(std::string_view spec) {
  try {
    make_serial_backend(spec);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("serial backend: bad specs name the spec and the problem", "[serial_backend]") {
  CHECK(error_of("foo") == "unknown serial backend 'foo' (expected stdio, file:PATH or none)");
  CHECK(error_of("") == "unknown serial backend '' (expected stdio, file:PATH or none)");
  CHECK(error_of("STDIO") == "unknown serial backend 'STDIO' (expected stdio, file:PATH or none)");
  CHECK(error_of("file:") == "serial backend 'file:' needs a path (file:PATH)");
  CHECK(error_of("file:/nonexistent-tx86-dir/y") == "cannot open '/nonexistent-tx86-dir/y': No such file or directory");
  CHECK(error_of("file:/") == "cannot open '/': Is a directory");
}

TEST_CASE("serial backend: none discards and has no input", "[serial_backend]") {
  auto b = make_serial_backend("none");
  b->write('x');
  b->flush();
  CHECK_FALSE(b->has_input());
  CHECK_FALSE(b->poll_input().has_value());
}

TEST_CASE("serial backend: file truncates, writes, has no input", "[serial_backend]") {
  const std::string path = temp_path("serial_file");
  {
    std::ofstream pre(path);
    pre << "old contents that must go";
  }
  {
    auto b = make_serial_backend("file:" + path);
    CHECK_FALSE(b->has_input());
    CHECK_FALSE(b->poll_input().has_value());
    CHECK(slurp(path).empty());  // truncated on open
    for (char c : std::string("line 1\n\x00\xff")) b->write(static_cast<uint8_t>(c));
    b->write(0x00);
    b->write(0xFF);
    b->flush();
    CHECK(slurp(path) == std::string("line 1\n\x00\xff", 9));
    b->write('!');
  }
  CHECK(slurp(path) == std::string("line 1\n\x00\xff!", 10));
  std::remove(path.c_str());
}

// ---------------------------------------------------------------------------
// stdio on a pseudo-terminal. Each scenario runs in a child whose stdin is
// the pty's slave side; the parent looks at the terminal's mode afterwards.

namespace {

struct ChildResult {
  int status = 0;
  std::string output;  // what the child wrote to stdout
  termios after{};     // the terminal mode once the child is gone
};

// `body` returns the child's exit code (or never returns). If `typed` is
// given, the parent types it on the terminal once the body calls ready(fd).
void ready(int fd) {
  char c = 'R';
  if (write(fd, &c, 1) != 1) _exit(99);
}

ChildResult run_on_pty(const std::function<int(int ready_fd)>& body, const std::string& typed = "") {
  int master = -1, slave = -1;
  REQUIRE(openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
  termios cooked{};
  REQUIRE(tcgetattr(slave, &cooked) == 0);
  REQUIRE((cooked.c_lflag & ICANON) != 0);
  int out[2], sync[2];
  REQUIRE(pipe(out) == 0);
  REQUIRE(pipe(sync) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    setsid();  // the pty is not our controlling terminal: no SIGTTOU games
    rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);  // SIGQUIT/SIGABRT scenarios
    dup2(slave, STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    close(master);
    close(out[0]);
    close(sync[0]);
    _exit(body(sync[1]));
  }
  close(out[1]);
  close(sync[1]);
  if (!typed.empty()) {
    char c = 0;
    REQUIRE(read(sync[0], &c, 1) == 1);
    REQUIRE(write(master, typed.data(), typed.size()) == static_cast<ssize_t>(typed.size()));
  }
  close(sync[0]);
  ChildResult r;
  char buf[256];
  for (;;) {
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    r.output.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  REQUIRE(waitpid(pid, &r.status, 0) == pid);
  REQUIRE(tcgetattr(slave, &r.after) == 0);
  close(master);
  close(slave);
  return r;
}

bool is_raw() {
  termios t{};
  return tcgetattr(STDIN_FILENO, &t) == 0 && !(t.c_lflag & (ICANON | ECHO));
}

bool is_cooked(const termios& t) { return (t.c_lflag & ICANON) && (t.c_lflag & ECHO) && (t.c_iflag & ICRNL); }

}  // namespace

TEST_CASE("serial backend: stdio reads raw input and writes stdout", "[serial_backend][pty]") {
  auto r = run_on_pty(
      [](int ready_fd) {
        auto b = make_serial_backend("stdio");
        if (!is_raw()) return 10;
        if (!b->has_input()) return 11;
        ready(ready_fd);
        // No newline typed: only raw mode makes these readable. CR stays CR.
        std::string got;
        for (int i = 0; i < 400 && got.size() < 3; ++i) {
          if (auto c = b->poll_input()) got.push_back(static_cast<char>(*c));
          else std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        if (got != "ab\r") return 12;
        for (char c : std::string("out\n")) b->write(static_cast<uint8_t>(c));
        b.reset();
        return is_raw() ? 13 : 0;
      },
      "ab\r");
  REQUIRE(WIFEXITED(r.status));
  CHECK(WEXITSTATUS(r.status) == 0);
  CHECK(r.output == "out\n");
  CHECK(is_cooked(r.after));
}

TEST_CASE("serial backend: two stdio backends share the terminal and stdout", "[serial_backend][pty]") {
  auto r = run_on_pty([](int) {
    auto serial = make_serial_backend("stdio");
    auto debugcon = make_serial_backend("stdio");
    serial->write('a');
    debugcon->write('b');
    serial->write('c');
    debugcon->flush();
    serial.reset();
    if (!is_raw()) return 20;  // still held by the other one
    debugcon->write('\n');
    debugcon.reset();
    return is_raw() ? 21 : 0;
  });
  REQUIRE(WIFEXITED(r.status));
  CHECK(WEXITSTATUS(r.status) == 0);
  CHECK(r.output == "abc\n");
  CHECK(is_cooked(r.after));
}

TEST_CASE("serial backend: exit() with a live backend restores the terminal", "[serial_backend][pty]") {
  auto r = run_on_pty([](int) {
    // Leaked on purpose: no destructor runs, only the atexit hook can help.
    devices::SerialBackend* leaked = make_serial_backend("stdio").release();
    if (!is_raw()) return 30;
    leaked->write('z');
    std::exit(7);
  });
  REQUIRE(WIFEXITED(r.status));
  CHECK(WEXITSTATUS(r.status) == 7);
  CHECK(r.output == "z");  // stdout flushed on exit
  CHECK(is_cooked(r.after));
}

TEST_CASE("serial backend: an exception unwinding past the backend restores the terminal", "[serial_backend][pty]") {
  auto r = run_on_pty([](int) {
    try {
      auto b = make_serial_backend("stdio");
      if (!is_raw()) return 40;
      throw std::runtime_error("guest went away");
    } catch (const std::runtime_error&) {
      return is_raw() ? 41 : 0;
    }
  });
  REQUIRE(WIFEXITED(r.status));
  CHECK(WEXITSTATUS(r.status) == 0);
  CHECK(is_cooked(r.after));
}

TEST_CASE("serial backend: fatal signals restore the terminal and still kill", "[serial_backend][pty]") {
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT}) {
    INFO("signal " << sig);
    auto r = run_on_pty([sig](int) {
      signal(sig, SIG_DFL);
      auto b = make_serial_backend("stdio");
      if (!is_raw()) return 50;
      raise(sig);
      return 51;  // not reached: the default action ends the process
    });
    REQUIRE(WIFSIGNALED(r.status));
    CHECK(WTERMSIG(r.status) == sig);
    CHECK(is_cooked(r.after));
  }
}

TEST_CASE("serial backend: an ignored signal stays ignored", "[serial_backend][pty]") {
  auto r = run_on_pty([](int) {
    signal(SIGHUP, SIG_IGN);
    auto b = make_serial_backend("stdio");
    raise(SIGHUP);
    if (!is_raw()) return 60;
    b.reset();
    return is_raw() ? 61 : 0;
  });
  REQUIRE(WIFEXITED(r.status));
  CHECK(WEXITSTATUS(r.status) == 0);
  CHECK(is_cooked(r.after));
}

TEST_CASE("serial backend: Ctrl-Z restores the terminal, continuing re-enters raw mode", "[serial_backend][pty]") {
  int master = -1, slave = -1;
  REQUIRE(openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Our own process group, with the parent outside it: not orphaned, so
    // SIGTSTP really stops us (setsid would make the group orphaned).
    setpgid(0, 0);
    dup2(slave, STDIN_FILENO);
    close(ready[0]);
    auto b = make_serial_backend("stdio");
    char c = is_raw() ? 'r' : 'c';
    if (write(ready[1], &c, 1) != 1) _exit(70);
    raise(SIGTSTP);  // stops here until the parent sends SIGCONT
    c = is_raw() ? 'r' : 'c';
    if (write(ready[1], &c, 1) != 1) _exit(71);
    b.reset();
    _exit(is_raw() ? 72 : 0);
  }
  close(ready[1]);
  char c = 0;
  REQUIRE(read(ready[0], &c, 1) == 1);
  CHECK(c == 'r');
  int status = 0;
  REQUIRE(waitpid(pid, &status, WUNTRACED) == pid);
  REQUIRE(WIFSTOPPED(status));
  termios while_stopped{};
  REQUIRE(tcgetattr(slave, &while_stopped) == 0);
  CHECK(is_cooked(while_stopped));
  kill(pid, SIGCONT);
  REQUIRE(read(ready[0], &c, 1) == 1);
  CHECK(c == 'r');
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  termios after{};
  REQUIRE(tcgetattr(slave, &after) == 0);
  CHECK(is_cooked(after));
  close(ready[0]);
  close(master);
  close(slave);
}

TEST_CASE("serial backend: stdio without a terminal leaves stdin alone", "[serial_backend]") {
  auto r = [] {
    int p[2];
    REQUIRE(pipe(p) == 0);
    REQUIRE(write(p[1], "q", 1) == 1);
    close(p[1]);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      dup2(p[0], STDIN_FILENO);
      int null = open("/dev/null", O_WRONLY);
      dup2(null, STDOUT_FILENO);
      auto b = make_serial_backend("stdio");
      std::optional<uint8_t> got;
      for (int i = 0; i < 200 && !got; ++i) got = b->poll_input();
      if (got != uint8_t{'q'}) _exit(80);
      for (int i = 0; i < 10; ++i) b->poll_input();
      _exit(b->has_input() ? 81 : 0);  // end of input seen
    }
    close(p[0]);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    return status;
  }();
  REQUIRE(WIFEXITED(r));
  CHECK(WEXITSTATUS(r) == 0);
}
