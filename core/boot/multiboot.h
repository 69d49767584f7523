// Multiboot v1 loader: what `tx86 --kernel FILE --append CMD --initrd FILE`
// does. It loads an ELF32 kernel (or the "a.out kludge" image the header's
// address fields describe), places the command line, one module and the
// Multiboot information structure (with a memory map) in guest RAM, builds a
// flat GDT and leaves the CPU in the state the specification requires, so
// kernels written for `qemu-system-i386 -kernel` or GRUB run unchanged.
//
// Follows the Multiboot Specification version 0.6.96: 3.1 (OS image format,
// header magic fields and address fields), 3.2 (machine state), 3.3 (boot
// information format). ELF: System V ABI, Intel386 supplement (ELF32, EM_386).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/machine.h"

namespace tx86::core {

inline constexpr uint32_t kMultibootHeaderMagic = 0x1BADB002;      // spec 3.1.2
inline constexpr uint32_t kMultibootBootloaderMagic = 0x2BADB002;  // spec 3.2, in EAX
inline constexpr uint32_t kMultibootSearchBytes = 8192;            // header within the first 8 KiB

// Multiboot header flags (spec 3.1.2). Bits 0-15 are requirements: a loader
// that does not understand one must refuse the image.
enum MultibootHeaderFlag : uint32_t {
  kMbhPageAlignModules = 1u << 0,
  kMbhMemoryInfo = 1u << 1,
  kMbhVideoMode = 1u << 2,
  kMbhAddressFields = 1u << 16,  // the "a.out kludge"
};

// Multiboot information flags (spec 3.3): which fields are valid.
enum MultibootInfoFlag : uint32_t {
  kMbiMemory = 1u << 0,
  kMbiBootDevice = 1u << 1,
  kMbiCmdline = 1u << 2,
  kMbiMods = 1u << 3,
  kMbiMmap = 1u << 6,
  kMbiBootLoaderName = 1u << 9,
};

// Offsets in the information structure (spec 3.3) and its size with all
// fields up to the VBE block.
enum MultibootInfoOffset : uint32_t {
  kMbiFlagsOffset = 0, kMbiMemLowerOffset = 4, kMbiMemUpperOffset = 8, kMbiBootDeviceOffset = 12,
  kMbiCmdlineOffset = 16, kMbiModsCountOffset = 20, kMbiModsAddrOffset = 24,
  kMbiMmapLengthOffset = 44, kMbiMmapAddrOffset = 48, kMbiBootLoaderNameOffset = 64,
  kMbiSizeBytes = 88,
};

// Memory map entry types (spec 3.3, mmap_*).
inline constexpr uint32_t kMmapAvailable = 1;
inline constexpr uint32_t kMmapReserved = 2;

// Selectors of the flat GDT the loader builds (the values QEMU's and GRUB's
// loaders use, which kernels often rely on without loading their own GDT).
inline constexpr uint16_t kMultibootCodeSelector = 0x08;
inline constexpr uint16_t kMultibootDataSelector = 0x10;

// Where things ended up, for the CLI's messages and for tests.
struct MultibootLayout {
  struct Range {
    uint32_t start = 0;
    uint32_t end = 0;  // exclusive
  };
  bool address_fields = false;  // loaded through the a.out kludge, not ELF
  uint32_t entry = 0;
  std::vector<Range> kernel;  // loaded segments (including bss)
  uint32_t info_addr = 0;
  uint32_t cmdline_addr = 0;
  uint32_t mmap_addr = 0;
  uint32_t mmap_length = 0;
  uint32_t gdt_addr = 0;
  Range module;  // empty if no --initrd
};

// Reads `kernel_path` (and `initrd_path` unless empty) and loads them into
// `machine`. The kernel's command line is the path followed by `cmdline`,
// as GRUB and QEMU pass it. Throws std::runtime_error naming the file and the
// problem if a file cannot be read, is not a valid Multiboot image, or does
// not fit in guest RAM.
MultibootLayout load_multiboot(Machine& machine, const std::string& kernel_path, const std::string& cmdline,
                               const std::string& initrd_path);

// The same from bytes already in memory; `kernel_name` and `module_name`
// name them in error messages (and `module_name` is the module's string).
// An empty `module_name` means no module.
MultibootLayout load_multiboot_image(Machine& machine, std::span<const uint8_t> kernel,
                                     std::string_view kernel_name, std::string_view kernel_cmdline,
                                     std::span<const uint8_t> module, std::string_view module_name);

}  // namespace tx86::core
