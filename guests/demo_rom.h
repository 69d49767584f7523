// The built-in demo firmware: guests/demo/demo.asm assembled into a 64 KiB
// ROM image and embedded at build time (guests/embed.py). `tx86` runs it when
// it is given no image. Its serial (COM1) output is guests/demo/expected_output.txt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace tx86::guests {

extern const unsigned char kDemoRom[];
extern const size_t kDemoRomSize;  // always 65536: the build checks it

inline std::span<const uint8_t> demo_rom() { return {kDemoRom, kDemoRomSize}; }

}  // namespace tx86::guests
