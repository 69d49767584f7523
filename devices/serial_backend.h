// Host side of a character device: where the bytes a guest sends through a
// UART or the debug console go, and where the bytes it receives come from.
//
// Backends are chosen by the spec strings of the `--serial` and `--debugcon`
// options:
//   stdio      output to the host's stdout, input from its stdin (raw mode
//              when stdin is a terminal, restored on every way out);
//   file:PATH  output written to PATH (truncated), no input;
//   none       output discarded, no input.
//
// A backend knows nothing of baud rates or timing: the device pulls input
// with poll_input() at the pace its own (virtual) clock dictates, so a run
// with no input source stays deterministic.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace tx86::devices {

class SerialBackend {
 public:
  virtual ~SerialBackend() = default;

  // One byte from the guest to the host.
  virtual void write(uint8_t byte) = 0;
  // Makes written bytes visible (stdout, file) now rather than later.
  virtual void flush() = 0;
  // False if poll_input() can never return a byte (devices then skip
  // scheduling input polls altogether).
  virtual bool has_input() const = 0;
  // Next byte from the host, without blocking; nullopt if none is waiting.
  virtual std::optional<uint8_t> poll_input() = 0;
};

// Builds the backend a spec names. Throws std::runtime_error with a one-line
// message naming the spec or file and the problem.
std::unique_ptr<SerialBackend> make_serial_backend(std::string_view spec);

}  // namespace tx86::devices
