// Reader for SingleStepTests MOO files (gzip-compressed, chunked, little-
// endian): the hardware-captured single-instruction test vectors of the 80286
// and 80386 suites that tx86-singlestep runs against the interpreter.
//
// Follows the MOO 1.1 format as published with the suites (github.com/
// SingleStepTests, "MOO File Format Specification, Version 1.1") and the
// description in shared/testdata/singlestep/README.md: a file is a `MOO `
// header chunk, a `META` chunk, optional file-wide `RMSK`/`RM32` masks and one
// `TEST` chunk per test. Unknown chunk ids are skipped by length, as the
// format asks. Every length is checked against its parent, so a corrupt or
// truncated file gives a MooError that names the chunk and the byte offset
// instead of reading out of bounds.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace tx86::singlestep {

// A parse or decompression failure. `offset` is a byte offset into the
// decompressed MOO stream (or into the .gz file for gzip errors, as the
// message says).
class MooError : public std::runtime_error {
 public:
  MooError(const std::string& what, uint64_t offset) : std::runtime_error(what), offset_(offset) {}
  uint64_t offset() const { return offset_; }

 private:
  uint64_t offset_;
};

// The 16-bit register file of REGS / RMSK chunks, in MOO bit order.
enum MooReg16 : uint8_t {
  kMooAx, kMooBx, kMooCx, kMooDx, kMooCs, kMooSs, kMooDs, kMooEs,
  kMooSp, kMooBp, kMooSi, kMooDi, kMooIp, kMooFlags, kMooReg16Count
};
// The 32-bit register file of RG32 / RM32 chunks, in MOO bit order.
enum MooReg32 : uint8_t {
  kMooCr0, kMooCr3, kMooEax, kMooEbx, kMooEcx, kMooEdx, kMooEsi, kMooEdi,
  kMooEbp, kMooEsp, kMooCs32, kMooDs32, kMooEs32, kMooFs32, kMooGs32, kMooSs32,
  kMooEip, kMooEflags, kMooDr6, kMooDr7, kMooReg32Count
};

const char* moo_reg16_name(unsigned reg);
const char* moo_reg32_name(unsigned reg);

// A register set: `present` has bit i set if value[i] was given.
template <typename T, size_t N>
struct MooRegs {
  uint32_t present = 0;
  std::array<T, N> value{};
  bool has(unsigned reg) const { return (present >> reg) & 1u; }
};
using MooRegs16 = MooRegs<uint16_t, kMooReg16Count>;
using MooRegs32 = MooRegs<uint32_t, kMooReg32Count>;

struct MooRamEntry {
  uint32_t address = 0;
  uint8_t value = 0;
};

// EA32: the effective address of the ModRM operand (386 files; informative).
struct MooEffectiveAddress {
  uint8_t segment = 0;  // 0 CS, 1 SS, 2 DS, 3 ES, 4 FS, 5 GS
  uint16_t selector = 0;
  uint32_t base = 0;
  uint32_t limit = 0;
  uint32_t offset = 0;
  uint32_t linear = 0;
  uint32_t physical = 0;
};

// An INIT or FINA state.
struct MooState {
  std::optional<MooRegs16> regs;    // REGS
  std::optional<MooRegs16> masks;   // RMSK
  std::optional<MooRegs32> regs32;  // RG32
  std::optional<MooRegs32> masks32; // RM32
  std::vector<MooRamEntry> ram;     // RAM
  std::vector<uint8_t> queue;       // QUEU
  std::optional<MooEffectiveAddress> ea;  // EA32
};

struct MooException {
  uint8_t vector = 0;
  uint32_t flags_address = 0;  // physical address of the pushed FLAGS word
};

struct MooTest {
  uint32_t index = 0;       // index in the upstream file (not contiguous here)
  uint64_t offset = 0;      // byte offset of the TEST chunk in the stream
  std::string name;         // disassembly, e.g. "div byte [bx+0Ah]"
  std::vector<uint8_t> bytes;  // instruction bytes, ending with F4 (HLT)
  MooState init;
  MooState fina;
  std::optional<MooException> exception;
  std::optional<std::array<uint8_t, 20>> hash;
  uint32_t cycle_count = 0;  // CYCL records (kept as a count; not compared)

  std::string hash_hex() const;  // lower-case hex, empty if no HASH chunk
};

struct MooMeta {
  uint8_t major = 0, minor = 0, cpu_type = 0;
  uint32_t opcode = 0;
  std::string mnemonic;  // trailing spaces removed
  uint64_t seed = 0;
  uint8_t cpu_mode = 0;  // 0 = real mode
};

struct MooFile {
  uint8_t major = 0, minor = 0;
  uint32_t test_count = 0;  // as the header states
  std::string cpu;          // 4 characters: "C286", "386E", ...
  std::optional<MooMeta> meta;
  std::optional<MooRegs16> masks;    // file-wide RMSK
  std::optional<MooRegs32> masks32;  // file-wide RM32
  std::vector<MooTest> tests;
};

// Parses a decompressed MOO stream. Throws MooError on any inconsistency
// (bad magic, a chunk longer than its parent, a register count that does not
// match its mask, fewer TEST chunks than the header announces, ...).
MooFile parse_moo(std::span<const uint8_t> data);

// Reads just the header (for the test count when the rest is corrupt).
// Returns nothing if the stream does not start with a valid `MOO ` chunk.
std::optional<uint32_t> peek_moo_test_count(std::span<const uint8_t> data);

// Inflates a gzip stream (several concatenated members allowed). Throws
// MooError naming the compressed byte offset on corrupt or truncated input,
// or when the output would exceed `max_output_bytes`.
std::vector<uint8_t> gunzip(std::span<const uint8_t> gz, size_t max_output_bytes = size_t{256} << 20);

// Inflates at most the first `n` bytes of a gzip stream, stopping quietly at
// the first error (to read a corrupt file's header for its test count).
std::vector<uint8_t> gunzip_prefix(std::span<const uint8_t> gz, size_t n);

// Reads a file into memory; throws MooError (offset 0) if it cannot be read.
std::vector<uint8_t> read_file_bytes(const std::string& path);

}  // namespace tx86::singlestep
