// Capstone disassembly for traces, the debugger and JIT listings, and the
// oracle of the decoder test. Never on the hot path (DESIGN.md §1).
//
// One Disassembler per user: it owns a Capstone handle (cs_open/cs_close) and
// a reusable instruction buffer, so it is not thread-safe but needs no
// allocation per instruction beyond the returned string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tx86::x86 {

class Disassembler {
 public:
  enum class Mode { k16, k32, k64 };

  // Throws std::runtime_error if Capstone cannot be opened.
  explicit Disassembler(Mode mode);
  ~Disassembler();
  Disassembler(const Disassembler&) = delete;
  Disassembler& operator=(const Disassembler&) = delete;

  // "mnemonic op_str" in Intel syntax, or "(bad)" with *length = 0 when
  // Capstone does not decode the bytes. `address` is the linear address of
  // bytes[0] (branch targets are printed absolute).
  std::string disassemble(const uint8_t* bytes, size_t size, uint64_t address, size_t* length = nullptr);

  // Everything the decoder test compares, Capstone's view.
  struct Detail {
    bool valid = false;
    size_t length = 0;
    std::string mnemonic;      // with Capstone's prefix words ("rep movsb", "lock add")
    std::string op_str;
    std::vector<uint8_t> groups;  // cs_group_type values (x86_insn_group)
  };
  Detail detail(const uint8_t* bytes, size_t size, uint64_t address);

 private:
  size_t handle_ = 0;  // csh
  void* insn_ = nullptr;  // cs_insn*, reused
};

}  // namespace tx86::x86
