#include "devices/serial_backend.h"

#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <string>

namespace tx86::devices {

namespace {

// ---------------------------------------------------------------------------
// The process-wide terminal guard.
//
// This is the ONE piece of global mutable state in tx86, and deliberately so:
// the mode of the terminal on stdin belongs to the process, not to a Machine,
// and it must be put back however the process ends. Every stdio backend in
// the process (a UART and the debug console, or several machines) holds a
// reference through TerminalSession; the first one puts the terminal into raw
// mode and the last one restores it. Restoration is also hooked to exit()
// (atexit) and to the signals that end or stop a process from the keyboard or
// the outside: their handlers restore the saved mode, then re-raise the
// signal under the disposition that was there before us (normally: die).
// Ctrl-Z (SIGTSTP) restores the mode before stopping; SIGCONT re-enters raw
// mode. Signals the process ignores (nohup) stay ignored.
//
// Raw mode follows QEMU's stdio character device: no echo, no line editing,
// CR is not turned into LF (a serial terminal sends CR for Enter), no XON/XOFF;
// output post-processing stays on (LF -> CRLF) and so do the keyboard
// signals, so Ctrl-C still stops tx86.
// ---------------------------------------------------------------------------

constexpr std::array<int, 5> kRestoreSignals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT};

struct TerminalGuard {
  std::mutex mutex;
  int users = 0;
  bool atexit_registered = false;
  termios saved{};
  termios raw{};
  volatile sig_atomic_t is_raw = 0;   // terminal currently in our raw mode
  volatile sig_atomic_t wanted = 0;   // raw mode should be on (for SIGCONT)
  std::array<struct sigaction, kRestoreSignals.size()> previous{};
  std::array<bool, kRestoreSignals.size()> installed{};
  struct sigaction previous_tstp{};
  struct sigaction previous_cont{};
};

constinit TerminalGuard g_terminal;

// Async-signal-safe: tcsetattr is on POSIX's list.
void restore_terminal_now() {
  if (g_terminal.is_raw) {
    tcsetattr(STDIN_FILENO, TCSANOW, &g_terminal.saved);
    g_terminal.is_raw = 0;
  }
}

extern "C" void on_restore_signal(int sig) {
  int saved_errno = errno;
  restore_terminal_now();
  g_terminal.wanted = 0;
  for (size_t i = 0; i < kRestoreSignals.size(); ++i) {
    if (kRestoreSignals[i] == sig && g_terminal.installed[i]) {
      sigaction(sig, &g_terminal.previous[i], nullptr);
      g_terminal.installed[i] = false;
    }
  }
  // Blocked while this handler runs; delivered under the old disposition as
  // soon as we return.
  raise(sig);
  errno = saved_errno;
}

extern "C" void on_tstp(int) {
  int saved_errno = errno;
  restore_terminal_now();
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGTSTP, &dfl, nullptr);
  raise(SIGTSTP);  // stops the process when this handler returns
  errno = saved_errno;
}

extern "C" void on_cont(int) {
  int saved_errno = errno;
  if (g_terminal.wanted) {
    struct sigaction tstp {};
    tstp.sa_handler = on_tstp;
    sigemptyset(&tstp.sa_mask);
    sigaction(SIGTSTP, &tstp, nullptr);
    if (tcsetattr(STDIN_FILENO, TCSANOW, &g_terminal.raw) == 0) g_terminal.is_raw = 1;
  }
  errno = saved_errno;
}

extern "C" void restore_terminal_at_exit() { restore_terminal_now(); }

void install_handler(int sig, void (*fn)(int), struct sigaction* previous, bool* installed) {
  struct sigaction old {};
  sigaction(sig, nullptr, &old);
  *installed = false;
  if (old.sa_handler == SIG_IGN) return;  // e.g. SIGHUP under nohup: keep ignoring
  struct sigaction sa {};
  sa.sa_handler = fn;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, previous);
  *installed = true;
}

void acquire_terminal() {
  std::lock_guard lock(g_terminal.mutex);
  if (g_terminal.users++ > 0) return;
  if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &g_terminal.saved) != 0) return;
  termios raw = g_terminal.saved;
  raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
  raw.c_oflag |= OPOST;
  raw.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
  raw.c_cflag &= ~(CSIZE | PARENB);
  raw.c_cflag |= CS8;
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  g_terminal.raw = raw;
  if (!g_terminal.atexit_registered) {
    std::atexit(restore_terminal_at_exit);
    g_terminal.atexit_registered = true;
  }
  // Handlers first, so that no moment exists in which the terminal is raw
  // and a signal would leave it so.
  for (size_t i = 0; i < kRestoreSignals.size(); ++i) {
    bool installed = false;
    install_handler(kRestoreSignals[i], on_restore_signal, &g_terminal.previous[i], &installed);
    g_terminal.installed[i] = installed;
  }
  bool dummy = false;
  install_handler(SIGTSTP, on_tstp, &g_terminal.previous_tstp, &dummy);
  install_handler(SIGCONT, on_cont, &g_terminal.previous_cont, &dummy);
  g_terminal.wanted = 1;
  if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) g_terminal.is_raw = 1;
}

void release_terminal() {
  std::lock_guard lock(g_terminal.mutex);
  if (--g_terminal.users > 0) return;
  g_terminal.wanted = 0;
  restore_terminal_now();
  for (size_t i = 0; i < kRestoreSignals.size(); ++i) {
    if (g_terminal.installed[i]) sigaction(kRestoreSignals[i], &g_terminal.previous[i], nullptr);
    g_terminal.installed[i] = false;
  }
  struct sigaction current {};
  sigaction(SIGTSTP, nullptr, &current);
  if (current.sa_handler == on_tstp) sigaction(SIGTSTP, &g_terminal.previous_tstp, nullptr);
  sigaction(SIGCONT, nullptr, &current);
  if (current.sa_handler == on_cont) sigaction(SIGCONT, &g_terminal.previous_cont, nullptr);
}

// RAII reference on the terminal guard.
class TerminalSession {
 public:
  TerminalSession() { acquire_terminal(); }
  ~TerminalSession() { release_terminal(); }
  TerminalSession(const TerminalSession&) = delete;
  TerminalSession& operator=(const TerminalSession&) = delete;
};

// ---------------------------------------------------------------------------

class StdioBackend final : public SerialBackend {
 public:
  // Output goes through the C library's stdout stream, so that several
  // backends (and the CLI's own messages) share one buffer and keep their
  // order. A full line is flushed at once; the device flushes the rest when
  // its transmitter goes idle, and exit() flushes whatever remains.
  void write(uint8_t byte) override {
    std::fputc(byte, stdout);
    if (byte == '\n') std::fflush(stdout);
  }
  void flush() override { std::fflush(stdout); }
  bool has_input() const override { return !eof_; }

  std::optional<uint8_t> poll_input() override {
    if (pos_ < len_) return buffer_[pos_++];
    if (eof_) return std::nullopt;
    // A guest asking for input may be waiting after a prompt: show it.
    std::fflush(stdout);
    // poll() + read() rather than O_NONBLOCK: the flag would belong to the
    // open file description that stdin shares with the shell.
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0 || (p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) return std::nullopt;
    ssize_t n = ::read(STDIN_FILENO, buffer_.data(), buffer_.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return std::nullopt;
    if (n <= 0) {
      eof_ = true;
      return std::nullopt;
    }
    len_ = static_cast<size_t>(n);
    pos_ = 0;
    return buffer_[pos_++];
  }

 private:
  TerminalSession terminal_;
  std::array<uint8_t, 256> buffer_{};
  size_t pos_ = 0;
  size_t len_ = 0;
  bool eof_ = false;
};

class FileBackend final : public SerialBackend {
 public:
  explicit FileBackend(const std::string& path) : file_(std::fopen(path.c_str(), "wb")) {
    if (file_ == nullptr)
      throw std::runtime_error("cannot open '" + path + "': " + std::strerror(errno));
  }
  ~FileBackend() override { std::fclose(file_); }
  FileBackend(const FileBackend&) = delete;
  FileBackend& operator=(const FileBackend&) = delete;

  void write(uint8_t byte) override { std::fputc(byte, file_); }
  void flush() override { std::fflush(file_); }
  bool has_input() const override { return false; }
  std::optional<uint8_t> poll_input() override { return std::nullopt; }

 private:
  std::FILE* file_;
};

class NullBackend final : public SerialBackend {
 public:
  void write(uint8_t) override {}
  void flush() override {}
  bool has_input() const override { return false; }
  std::optional<uint8_t> poll_input() override { return std::nullopt; }
};

}  // namespace

std::unique_ptr<SerialBackend> make_serial_backend(std::string_view spec) {
  if (spec == "stdio") return std::make_unique<StdioBackend>();
  if (spec == "none") return std::make_unique<NullBackend>();
  if (spec.starts_with("file:")) {
    std::string path(spec.substr(5));
    if (path.empty()) throw std::runtime_error("serial backend 'file:' needs a path (file:PATH)");
    return std::make_unique<FileBackend>(path);
  }
  throw std::runtime_error("unknown serial backend '" + std::string(spec) + "' (expected stdio, file:PATH or none)");
}

}  // namespace tx86::devices
