// Exceptions and interrupts in real mode: IVT delivery and IRET, the address
// #DE pushes, the STI and MOV SS interrupt shadows, HLT waking up on a
// scheduled interrupt, HLT with IF=0, double and triple faults.
#include <catch2/catch.hpp>

#include "tests/core/guest.h"

using tx86::core::StepResult;
using tx86::core::StopReason;
using tx86::test::Guest;
using tx86::test::kCodeBase;
using tx86::test::kStackBase;
using namespace tx86;

namespace {

// An interrupt controller with one request line that tests raise by hand.
class TestPic : public core::InterruptController {
 public:
  void set_irq(unsigned, bool level) override { pending_ = level; }
  bool interrupt_pending() const override { return pending_; }
  uint8_t acknowledge() override {
    pending_ = false;
    ++acks;
    return 0x20;
  }
  int acks = 0;

 private:
  bool pending_ = false;
};

}  // namespace

TEST_CASE("INT n pushes FLAGS CS IP, clears IF/TF; IRET returns", "[interrupts]") {
  Guest g;
  g.set_vector(0x40, 0x0000, 0x0600);
  g.load(0x600, {0xB3, 0x77,  // mov bl, 0x77
                 0xCF});      // iret
  g.code({0xFB,              // sti
          0xCD, 0x40,        // int 0x40
          0x9C, 0x58,        // pushf; pop ax (IF restored by IRET)
          0xFA, 0xF4});
  REQUIRE(g.run() == StopReason::kHalted);
  CHECK(g.s().reg8(3) == 0x77);
  CHECK((g.s().gpr[x86::kEax] & x86::kIF) != 0);
  CHECK(g.s().reg16(x86::kEsp) == 0xFFFE);
}

TEST_CASE("#DE pushes the address of the DIV itself", "[interrupts]") {
  Guest g;
  g.code({0x90,              // nop
          0x31, 0xDB,        // xor bx, bx
          0x2E, 0xF6, 0xF3,  // cs div bl  (at offset 3, with its prefix)
          0xF4});
  g.run();
  REQUIRE(g.stopped_in_handler(core::kDE));
  CHECK(g.peek16(kStackBase + 0xFFFE - 6) == 0x0003);  // IP
  CHECK(g.peek16(kStackBase + 0xFFFE - 4) == kCodeBase >> 4);  // CS
}

TEST_CASE("STI delays interrupts by one instruction", "[interrupts]") {
  Guest g;
  TestPic pic;
  g.m.set_interrupt_controller(&pic);
  pic.set_irq(0, true);
  g.code({0xFA,        // cli
          0xFB,        // sti
          0x40,        // inc ax   (runs in the STI shadow)
          0x40,        // inc ax
          0xF4});
  CHECK(g.interp.step() == StepResult::kRetired);  // cli
  CHECK(g.interp.step() == StepResult::kRetired);  // sti
  CHECK(g.interp.step() == StepResult::kRetired);  // inc ax, shadowed
  CHECK(g.s().reg16(x86::kEax) == 1);
  CHECK(g.interp.step() == StepResult::kInterrupt);
  CHECK(pic.acks == 1);
  CHECK(g.s().eip == tx86::test::kHandlerBase + 0x20);
}

TEST_CASE("MOV SS shadows the next instruction in run() too", "[interrupts]") {
  Guest g;
  TestPic pic;
  g.m.set_interrupt_controller(&pic);
  g.set_vector(0x20, 0x0000, 0x0600);
  g.load(0x600, {0x89, 0xE1,  // mov cx, sp  (the interrupted SP)
                 0xF4});
  g.code({0xFB,                    // sti
          0x90,                    // nop
          0xB8, 0x00, 0x20,        // mov ax, 0x2000
          0x8E, 0xD0,              // mov ss, ax
          0xBC, 0x00, 0x80,        // mov sp, 0x8000  (in the shadow)
          0xEB, 0xFE});            // jmp $
  // Run up to the MOV SS, then raise the request: it must not be taken
  // between MOV SS and MOV SP.
  REQUIRE(g.run(4) == StopReason::kInstructionLimit);  // sti nop mov mov-ss
  pic.set_irq(0, true);
  g.run(10);
  CHECK(pic.acks == 1);
  CHECK(g.s().reg16(x86::kEcx) == 0x8000 - 6);
}

TEST_CASE("HLT with IF=1 waits for the next event and wakes on its interrupt", "[interrupts]") {
  Guest g;
  TestPic pic;
  g.m.set_interrupt_controller(&pic);
  g.interp.set_exit_on_halt(false);
  // The event fires 1000 instructions' worth of virtual time from now.
  const uint64_t when = g.m.clock().ns_for_instructions(1000);
  g.m.scheduler().schedule_at(when, [&] { pic.set_irq(0, true); });
  g.set_vector(0x20, 0x0000, 0x0600);
  g.load(0x600, {0xB3, 0x55, 0xFA, 0xF4});  // mov bl, 0x55; cli; hlt
  g.code({0xFB, 0xF4});                      // sti; hlt
  CHECK(g.run(100000) == StopReason::kHalted);
  CHECK(g.s().reg8(3) == 0x55);
  CHECK(g.m.clock().retired() >= 1000);
  CHECK(g.m.clock().retired() < 1010);
  CHECK(g.interp.stats().interrupts == 1);
}

TEST_CASE("HLT with IF=0 and nothing pending stops run()", "[interrupts]") {
  Guest g;
  g.interp.set_exit_on_halt(false);
  g.code({0xFA, 0xF4});
  CHECK(g.run(1000) == StopReason::kHalted);
  CHECK(g.interp.step() == StepResult::kHalted);
}

TEST_CASE("a fault while delivering becomes #DF; a fault delivering #DF shuts down", "[interrupts]") {
  SECTION("double fault") {
    Guest g;
    // IDTR limit covers vectors 0..8 only: INT 0x10 raises #GP, whose
    // entry (vector 13) is beyond the limit too, so #DF is delivered.
    g.load(tx86::test::kDataBase, {0x23, 0x00, 0x00, 0x00, 0x00, 0x00});
    g.code({0x0F, 0x01, 0x1E, 0x00, 0x00,  // lidt [0]
            0xCD, 0x10, 0xF4});
    g.run();
    CHECK(g.stopped_in_handler(core::kDF));
  }
  SECTION("triple fault") {
    Guest g;
    g.load(tx86::test::kDataBase, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00});  // limit 0
    g.code({0x0F, 0x01, 0x1E, 0x00, 0x00, 0xCD, 0x10, 0xF4});
    CHECK(g.run() == StopReason::kShutdown);
    CHECK_FALSE(g.m.logged().empty());
  }
}

TEST_CASE("TF single-steps with #DB after each instruction", "[interrupts]") {
  Guest g;
  g.set_vector(core::kDB, 0x0000, 0x0600);
  g.load(0x600, {0x43, 0xCF});  // inc bx; iret (IF/TF restored by IRET)
  g.code({0x9C, 0x58,              // pushf; pop ax
          0x0D, 0x00, 0x01,        // or ax, 0x100
          0x50, 0x9D,              // push ax; popf   (TF on after this)
          0x90, 0x90, 0x90,        // three traps
          0x9C, 0x58,              // pushf; pop ax
          0x25, 0xFF, 0xFE,        // and ax, 0xFEFF
          0x50, 0x9D,              // push ax; popf  (still traps: TF was set)
          0xFA, 0xF4});
  g.run(1000);
  CHECK(g.s().reg16(x86::kEbx) == 8);  // 3 nops, pushf pop and push popf
}
