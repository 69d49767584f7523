/* Descriptor checks: segment-register loads with every architectural check,
 * limits, expand-down, conforming code, the accessed bit, and LAR/LSL/
 * VERR/VERW/ARPL.
 *
 * Sources: SDM Vol. 3A 3.4.2 (null selector), 3.4.5 and 3.4.5.1 (descriptor
 * fields, type, accessed bit, expand-down), 5.3 (limit checking), 5.5-5.7
 * (privilege checks for data and stack segment loads), 5.8.1 (direct
 * transfers to conforming / nonconforming code), 6.13 (error code format:
 * the selector with bits 1:0 replaced by IDT/EXT, so RPL is not reported);
 * Vol. 2 MOV, POP, JMP, CALL, LAR, LSL, VERR/VERW, ARPL "Protected Mode
 * Exceptions" and "Operation". */
#include "lib/runtime.h"

const char test_area[] = "descriptors";

enum {
  D_RO = 6, D_NP, D_XO, D_CR, D_CONF, D_LIM, D_DOWN, D_DOWN16, D_G, D_ACC, D_CNP, D_CLIM, D_CGATE,
  D_IGATE, D_LDT, D_CONF3, D_RO3, D_DOWN3,
};
#define SEL(i) ((uint16_t)((i) << 3))

static uint8_t limit_buf[8192] __attribute__((aligned(4096)));
static struct desc ldt[2] __attribute__((aligned(8)));

/* Loads `sel` into a segment register and puts the kernel selector back. */
#define LOAD_AND_RESTORE(reg, sel) \
  __asm__ volatile("mov %0, %%" reg "\n mov %1, %%" reg ::"r"((uint32_t)(sel)), "r"((uint32_t)SEL_KDATA) : "memory")

static void load_ds(uint16_t sel) { LOAD_AND_RESTORE("ds", sel); }
static void load_ss(uint16_t sel) { LOAD_AND_RESTORE("ss", sel); }
static void load_fs(uint16_t sel) { LOAD_AND_RESTORE("fs", sel); }

/* Reads 4 bytes at FS:offset with FS = sel (restored afterwards). */
static uint32_t read_fs(uint16_t sel, uint32_t offset) {
  uint32_t v;
  __asm__ volatile("mov %1, %%fs\n movl %%fs:(%2), %0\n mov %3, %%fs"
                   : "=&r"(v) : "r"((uint32_t)sel), "r"(offset), "r"((uint32_t)SEL_KDATA) : "memory");
  return v;
}
static void write_fs(uint16_t sel, uint32_t offset, uint32_t v) {
  __asm__ volatile("mov %0, %%fs\n movl %2, %%fs:(%1)\n mov %3, %%fs" ::"r"((uint32_t)sel), "r"(offset), "r"(v),
                   "r"((uint32_t)SEL_KDATA) : "memory");
}
static uint8_t read_fs8(uint16_t sel, uint32_t offset) {
  uint8_t v;
  __asm__ volatile("mov %1, %%fs\n movb %%fs:(%2), %0\n mov %3, %%fs"
                   : "=&q"(v) : "r"((uint32_t)sel), "r"(offset), "r"((uint32_t)SEL_KDATA) : "memory");
  return v;
}

struct far_ptr { uint32_t offset; uint16_t selector; } __attribute__((packed));
static void far_jmp(uint16_t sel, uint32_t offset) {
  static struct far_ptr fp;
  fp.offset = offset;
  fp.selector = sel;
  __asm__ volatile("ljmp *%0" ::"m"(fp) : "memory");
}

/* LAR / LSL / VERR / VERW: value and ZF. */
static uint32_t lar(uint32_t sel, int *zf) {
  uint32_t v = 0xDEADBEEF;
  uint8_t z;
  __asm__ volatile("lar %2, %0\n setz %1" : "+r"(v), "=q"(z) : "r"(sel) : "cc");
  *zf = z;
  return v;
}
static uint32_t lsl(uint32_t sel, int *zf) {
  uint32_t v = 0xDEADBEEF;
  uint8_t z;
  __asm__ volatile("lsl %2, %0\n setz %1" : "+r"(v), "=q"(z) : "r"(sel) : "cc");
  *zf = z;
  return v;
}
static int verr(uint16_t sel) {
  uint8_t z;
  __asm__ volatile("verr %1\n setz %0" : "=q"(z) : "r"(sel) : "cc");
  return z;
}
static int verw(uint16_t sel) {
  uint8_t z;
  __asm__ volatile("verw %1\n setz %0" : "=q"(z) : "r"(sel) : "cc");
  return z;
}

/* Conforming code target: records CS and returns (far). */
volatile uint32_t conf_cs;
extern char conf_target[];
__asm__(".text\n conf_target:\n mov %cs, %eax\n mov %eax, conf_cs\n lret\n");

static void setup(void) {
  set_gdt(D_RO, make_desc(0, 0xFFFFF, ACC_DATA_RO, FLG_G | FLG_DB));
  set_gdt(D_NP, make_desc(0, 0xFFFFF, ACC_DATA_RW & ~ACC_P, FLG_G | FLG_DB));
  set_gdt(D_XO, make_desc(0, 0xFFFFF, ACC_CODE_XO, FLG_G | FLG_DB));
  set_gdt(D_CR, make_desc(0, 0xFFFFF, ACC_CODE_RX, FLG_G | FLG_DB));
  set_gdt(D_CONF, make_desc(0, 0xFFFFF, ACC_CODE_CONF_RX, FLG_G | FLG_DB));
  set_gdt(D_LIM, make_desc((uint32_t)limit_buf, 0xFFF, ACC_DATA_RW, FLG_DB));
  set_gdt(D_DOWN, make_desc(0, 0xFFF, ACC_DATA_RW_DOWN, FLG_DB));
  set_gdt(D_DOWN16, make_desc(0, 0xFFF, ACC_DATA_RW_DOWN, 0));
  set_gdt(D_G, make_desc((uint32_t)limit_buf, 0, ACC_DATA_RW, FLG_G | FLG_DB));
  set_gdt(D_ACC, make_desc(0, 0xFFFFF, ACC_DATA_RW, FLG_G | FLG_DB));
  set_gdt(D_CNP, make_desc(0, 0xFFFFF, ACC_CODE_RX & ~ACC_P, FLG_G | FLG_DB));
  set_gdt(D_CLIM, make_desc(0, 0xFFF, ACC_CODE_RX, FLG_DB));
  set_gdt(D_CGATE, make_gate(SEL_KCODE, 0x1234, ACC_P | SYS_CALL_GATE32, 0));
  set_gdt(D_IGATE, make_gate(SEL_KCODE, 0x1234, ACC_P | SYS_INT_GATE32, 0));
  ldt[0] = make_desc(0, 0xFFFFF, ACC_DATA_RW, FLG_G | FLG_DB);
  ldt[1] = make_desc((uint32_t)limit_buf, 0xFFF, ACC_DATA_RW, FLG_DB);
  set_gdt(D_LDT, make_desc((uint32_t)ldt, sizeof ldt - 1, ACC_P | SYS_LDT, 0));
  set_gdt(D_CONF3, make_desc(0, 0xFFFFF, ACC_CODE_CONF_RX | ACC_DPL3, FLG_G | FLG_DB));
  set_gdt(D_RO3, make_desc(0, 0xFFFFF, ACC_DATA_RO | ACC_DPL3, FLG_G | FLG_DB));
  set_gdt(D_DOWN3, make_desc(0, 0xFFF, ACC_DATA_RW_DOWN | ACC_DPL3, FLG_DB));
  __asm__ volatile("lldt %w0" ::"r"(SEL(D_LDT)));
}

static void data_loads(void) {
  /* 3.4.2: a null selector may be loaded into DS..GS; using it is #GP(0). */
  TRY { load_fs(0); } ENDTRY
  check_fault("MOV FS, null selector: no exception", -1, 0);
  TRY { __asm__ volatile("mov %0, %%fs\n movl %%fs:0, %%eax\n" ::"r"(0) : "eax"); } ENDTRY
  check_fault("access through null FS: #GP(0)", 13, 0);
  /* MOV: index outside the descriptor table limit -> #GP(selector). */
  TRY { load_ds(GDT_ENTRIES * 8); } ENDTRY
  check_fault("MOV DS, index beyond GDT limit: #GP(sel)", 13, GDT_ENTRIES * 8);
  TRY { load_ds(SEL(2) | 4 | 0); } ENDTRY
  check_fault("MOV DS, index beyond LDT limit (TI=1): #GP(sel)", 13, SEL(2) | 4);
  TRY { load_fs(SEL(1) | 4); } ENDTRY
  check_fault("MOV FS, LDT data descriptor: no exception", -1, 0);
  *(volatile uint32_t *)&limit_buf[4] = 0x11223344;
  check_eq("read through LDT segment uses its base", 0x11223344, read_fs(SEL(1) | 4, 4));
  /* MOV: not a data or readable code segment -> #GP(selector). */
  TRY { load_ds(SEL_TSS); } ENDTRY
  check_fault("MOV DS, TSS descriptor: #GP(sel)", 13, SEL_TSS);
  TRY { load_ds(SEL(D_CGATE)); } ENDTRY
  check_fault("MOV DS, call gate: #GP(sel)", 13, SEL(D_CGATE));
  TRY { load_ds(SEL(D_XO)); } ENDTRY
  check_fault("MOV DS, execute-only code: #GP(sel)", 13, SEL(D_XO));
  TRY { load_ds(SEL(D_CR)); } ENDTRY
  check_fault("MOV DS, readable code: no exception", -1, 0);
  TRY { load_ds(SEL(D_RO)); } ENDTRY
  check_fault("MOV DS, read-only data: no exception", -1, 0);
  /* MOV: segment not present -> #NP(selector). */
  TRY { load_ds(SEL(D_NP)); } ENDTRY
  check_fault("MOV DS, not-present data: #NP(sel)", 11, SEL(D_NP));
  /* 5.6: data loads need max(CPL, RPL) <= DPL; the error code drops RPL. */
  TRY { load_ds(SEL_KDATA | 3); } ENDTRY
  check_fault("MOV DS, DPL0 data with RPL3 at CPL0: #GP(sel)", 13, SEL_KDATA);
  TRY { load_ds(SEL_UDATA); } ENDTRY
  check_fault("MOV DS, DPL3 data at CPL0: no exception", -1, 0);
  TRY { load_ds(SEL(D_CONF) | 3); } ENDTRY
  check_fault("MOV DS, DPL0 conforming readable code with RPL3: no exception", -1, 0);
  /* MOV SS: null -> #GP(0); RPL != CPL, DPL != CPL, not writable data ->
   * #GP(sel); not present -> #SS(sel). */
  TRY { load_ss(0); } ENDTRY
  check_fault("MOV SS, null selector: #GP(0)", 13, 0);
  TRY { load_ss(SEL(D_RO)); } ENDTRY
  check_fault("MOV SS, read-only data: #GP(sel)", 13, SEL(D_RO));
  TRY { load_ss(SEL(D_CR)); } ENDTRY
  check_fault("MOV SS, code segment: #GP(sel)", 13, SEL(D_CR));
  TRY { load_ss(SEL_UDATA); } ENDTRY
  check_fault("MOV SS, DPL3 data at CPL0: #GP(sel)", 13, SEL_UDATA & ~3);
  TRY { load_ss(SEL_KDATA | 1); } ENDTRY
  check_fault("MOV SS, RPL1 selector at CPL0: #GP(sel)", 13, SEL_KDATA);
  TRY { load_ss(SEL(D_NP)); } ENDTRY
  check_fault("MOV SS, not-present writable data: #SS(sel)", 12, SEL(D_NP));
  /* POP DS follows the same rules as MOV DS (Vol. 2B POP). */
  TRY { __asm__ volatile("pushl %0\n popl %%ds\n" ::"r"((uint32_t)SEL(D_XO))); } ENDTRY
  check_fault("POP DS, execute-only code: #GP(sel)", 13, SEL(D_XO));
  /* 3.4.5.1: the processor sets the accessed bit when it loads the selector. */
  uint32_t before = gdt[D_ACC].hi & 0x100;
  load_fs(SEL(D_ACC));
  check_eq("accessed bit clear in the descriptor before the load", 0, before);
  check_eq("accessed bit set by MOV FS", 0x100, gdt[D_ACC].hi & 0x100);
}

/* QEMU deviation: QEMU's TCG does not check segment limits and access rights
 * on data accesses (its documentation says so: "The segment limits and access
 * rights are not tested at every memory access"), so under QEMU the #GP(0)/
 * #SS(0) checks of this function and the use of a null FS in data_loads()
 * report FAIL; the checks follow the SDM and stay. */
static void r3_push_expand_down(void) {
  __asm__ volatile("mov %0, %%ss\n mov $0x1002, %%esp\n push %%eax\n" ::"r"((uint32_t)SEL(D_DOWN3) | 3) : "memory");
  user_return();
}

static void limits(void) {
  /* 5.3: for expand-up segments valid offsets are 0..limit; an access with
   * any byte beyond it is #GP(0) (#SS(0) through SS). */
  TRY { read_fs8(SEL(D_LIM), 0xFFF); } ENDTRY
  check_fault("byte read at offset == limit: no exception", -1, 0);
  TRY { read_fs(SEL(D_LIM), 0xFFD); } ENDTRY
  check_fault("dword read straddling the limit: #GP(0)", 13, 0);
  TRY { read_fs(SEL(D_LIM), 0x1000); } ENDTRY
  check_fault("read past the limit: #GP(0)", 13, 0);
  /* G = 1: the limit is scaled by 4 KiB and the low 12 bits are ones. */
  TRY { read_fs(SEL(D_G), 0xFFC); } ENDTRY
  check_fault("G=1 limit 0: offset 0xFFC readable", -1, 0);
  TRY { read_fs(SEL(D_G), 0x1000); } ENDTRY
  check_fault("G=1 limit 0: offset 0x1000 is #GP(0)", 13, 0);
  int zf;
  check_eq("LSL of G=1 limit 0 segment is 0xFFF", 0xFFF, lsl(SEL(D_G), &zf));
  /* 3.4.5.1 expand-down: valid offsets limit+1 .. 0xFFFFFFFF (B=1) or
   * .. 0xFFFF (B=0). */
  TRY { read_fs(SEL(D_DOWN), 0xFFC); } ENDTRY
  check_fault("expand-down: read below limit+1 is #GP(0)", 13, 0);
  TRY { read_fs(SEL(D_DOWN), 0x100000); } ENDTRY
  check_fault("expand-down B=1: read at 1 MiB allowed", -1, 0);
  TRY { read_fs(SEL(D_DOWN16), 0x1000); } ENDTRY
  check_fault("expand-down B=0: read at limit+1 allowed", -1, 0);
  TRY { read_fs(SEL(D_DOWN16), 0xFFFE); } ENDTRY
  check_fault("expand-down B=0: dword at 0xFFFE crossing 0xFFFF is #GP(0)", 13, 0);
  /* Stack segment limit violations are #SS(0) (5.3, Vol. 2 PUSH). Done at
   * CPL 3 so that the #SS is delivered on the ring-0 stack from the TSS; at
   * CPL 0 the CPU would push the exception frame through the same faulting
   * stack (#SS, then #DF, then shutdown). */
  run_ring3(r3_push_expand_down, 0x2);
  check_fault("PUSH below an expand-down stack limit: #SS(0)", 12, 0);
  /* 3.4.5.1 / 5.5: writes to read-only data and to code are #GP(0); reads
   * of execute-only code are #GP(0). */
  TRY { write_fs(SEL(D_RO), (uint32_t)limit_buf, 1); } ENDTRY
  check_fault("write to read-only data segment: #GP(0)", 13, 0);
  TRY { write_fs(SEL(D_CR), (uint32_t)limit_buf, 1); } ENDTRY
  check_fault("write through a code segment (CS override): #GP(0)", 13, 0);
  TRY { __asm__ volatile("movl %%cs:(%0), %%eax" ::"r"(limit_buf) : "eax"); } ENDTRY
  check_fault("read through readable CS: no exception", -1, 0);
}

static void code_loads(void) {
  /* JMP far (Vol. 2A JMP; 5.8.1): null -> #GP(0); not code -> #GP(sel);
   * not present -> #NP(sel); nonconforming needs RPL <= CPL, DPL == CPL;
   * conforming needs DPL <= CPL; EIP beyond the new limit -> #GP(0). */
  TRY { far_jmp(0, 0); } ENDTRY
  check_fault("JMP far to null selector: #GP(0)", 13, 0);
  TRY { far_jmp(SEL_KDATA, 0); } ENDTRY
  check_fault("JMP far to a data segment: #GP(sel)", 13, SEL_KDATA);
  TRY { far_jmp(SEL(D_CNP), 0); } ENDTRY
  check_fault("JMP far to not-present code: #NP(sel)", 11, SEL(D_CNP));
  TRY { far_jmp(SEL_KCODE | 3, 0); } ENDTRY
  check_fault("JMP far, nonconforming code with RPL3 > CPL0: #GP(sel)", 13, SEL_KCODE);
  TRY { far_jmp(SEL_UCODE, 0); } ENDTRY
  check_fault("JMP far, nonconforming DPL3 code from CPL0: #GP(sel)", 13, SEL_UCODE & ~3);
  TRY { far_jmp(SEL(D_CONF3), 0); } ENDTRY
  check_fault("JMP far, conforming DPL3 code from CPL0: #GP(sel)", 13, SEL(D_CONF3));
  TRY { far_jmp(SEL(D_CLIM), 0x2000); } ENDTRY
  check_fault("JMP far beyond the code segment limit: #GP(0)", 13, 0);
  /* Conforming code keeps the caller's CPL (5.8.1.2): CS.RPL stays 0. */
  conf_cs = 0xFFFF;
  TRY { __asm__ volatile("lcall %0, $conf_target" ::"i"(SEL(D_CONF)) : "eax", "memory"); } ENDTRY
  check_fault("CALL far to conforming DPL0 code at CPL0: no exception", -1, 0);
  check_eq("CS after CALL to conforming code keeps RPL = CPL 0", SEL(D_CONF), conf_cs);
}

/* ---- ring 3 ------------------------------------------------------------- */
static volatile uint32_t r3_val[4];
static void r3_load_kdata(void) {
  __asm__ volatile("mov %0, %%fs" ::"r"((uint32_t)SEL_KDATA));
  user_return();
}
static void r3_load_kcode(void) {
  __asm__ volatile("mov %0, %%fs" ::"r"((uint32_t)SEL(D_CR) | 3));
  user_return();
}
static void r3_load_conf(void) {
  __asm__ volatile("mov %0, %%fs" ::"r"((uint32_t)SEL(D_CONF) | 3));
  user_return();
}
static void r3_call_conf(void) {
  __asm__ volatile("lcall %0, $conf_target" ::"i"(SEL(D_CONF) | 3) : "eax", "memory");
  user_return();
}
static void r3_jmp_kcode(void) {
  far_jmp(SEL_KCODE | 3, 0);
  user_return();
}
static void r3_checks(void) {
  int zf;
  r3_val[0] = lar(SEL_KDATA, &zf);
  r3_val[1] = zf;
  r3_val[2] = lar(SEL(D_CONF), &zf);
  r3_val[3] = zf | (verr(SEL_KDATA) << 1) | (verw(SEL_UDATA) << 2) | (verr(SEL(D_CONF)) << 3);
  user_return();
}

static void r3_lgdt(void) {
  struct __attribute__((packed)) { uint16_t limit; uint32_t base; } r = {0, 0};
  __asm__ volatile("lgdt %0" ::"m"(r));
  user_return();
}
static void r3_lmsw(void) {
  __asm__ volatile("lmsw %w0" ::"r"(1));
  user_return();
}
static void r3_clts(void) {
  __asm__ volatile("clts");
  user_return();
}
static volatile uint32_t r3_smsw, r3_sgdt_limit;
static void r3_store(void) {
  uint32_t v = 0;
  __asm__ volatile("smsw %0" : "=r"(v));
  r3_smsw = v;
  struct __attribute__((packed)) { uint16_t limit; uint32_t base; } g;
  __asm__ volatile("sgdt %0" : "=m"(g));
  r3_sgdt_limit = g.limit;
  user_return();
}

static void ring3(void) {
  run_ring3(r3_load_kdata, 0x2);
  check_fault("CPL3: MOV FS, DPL0 data: #GP(sel)", 13, SEL_KDATA);
  run_ring3(r3_load_kcode, 0x2);
  check_fault("CPL3: MOV FS, DPL0 nonconforming readable code: #GP(sel)", 13, SEL(D_CR));
  run_ring3(r3_load_conf, 0x2);
  check_fault("CPL3: MOV FS, DPL0 conforming readable code: no exception", VEC_USER_RETURN, NO_ERR_CHECK);
  conf_cs = 0;
  run_ring3(r3_call_conf, 0x2);
  check_fault("CPL3: CALL far to DPL0 conforming code: no exception", VEC_USER_RETURN, NO_ERR_CHECK);
  check_eq("CPL3: conforming code runs with CS.RPL = 3", SEL(D_CONF) | 3, conf_cs);
  run_ring3(r3_jmp_kcode, 0x2);
  check_fault("CPL3: JMP far to DPL0 nonconforming code: #GP(sel)", 13, SEL_KCODE);
  run_ring3(r3_checks, 0x2);
  check_eq("CPL3: LAR of DPL0 data fails (ZF=0)", 0, r3_val[1]);
  check_eq("CPL3: LAR of DPL0 conforming code succeeds (ZF=1)", 1, r3_val[3] & 1);
  check_eq("CPL3: VERR of DPL0 data is ZF=0", 0, (r3_val[3] >> 1) & 1);
  check_eq("CPL3: VERW of DPL3 writable data is ZF=1", 1, (r3_val[3] >> 2) & 1);
  check_eq("CPL3: VERR of DPL0 conforming readable code is ZF=1", 1, (r3_val[3] >> 3) & 1);
}

static void instructions(void) {
  int zf;
  uint32_t v;
  /* LAR: 32-bit operand gets descriptor dword 2 masked 0x00FxFF00 (bits
   * 19:16 undefined, so masked off here). */
  v = lar(SEL_KDATA, &zf);
  check_eq("LAR of flat data: ZF=1", 1, zf);
  check_eq("LAR of flat data: access rights", 0x00CF9300 & 0x00F0FF00, v & 0x00F0FF00);
  v = lar(SEL(D_XO), &zf);
  check_eq("LAR of execute-only code: access rights", 0x00C09800, v & 0x00F0FF00);
  lar(0, &zf);
  check_eq("LAR of null selector: ZF=0", 0, zf);
  v = lar(SEL_TSS, &zf);
  check_eq("LAR of busy 32-bit TSS: ZF=1", 1, zf);
  check_eq("LAR of busy 32-bit TSS: type 0xB, P=1", 0x8B00, v & 0xFF00);
  lar(SEL(D_CGATE), &zf);
  check_eq("LAR of 32-bit call gate: ZF=1", 1, zf);
  lar(SEL(D_IGATE), &zf);
  check_eq("LAR of interrupt-gate type in GDT: ZF=0", 0, zf);
  v = 0x12345678;
  __asm__ volatile("lar %2, %0\n setz %b1" : "+r"(v), "=q"(zf) : "r"((uint32_t)GDT_ENTRIES * 8) : "cc");
  check_eq("LAR beyond the GDT limit: ZF=0 and destination unchanged", 0x12345678, v | (zf & 0xFF));
  /* LSL: byte-granular limit, scaled by G. Gates have no limit. */
  check_eq("LSL of byte-granular 0xFFF segment", 0xFFF, lsl(SEL(D_LIM), &zf));
  check_eq("LSL of flat 4 GiB segment", 0xFFFFFFFF, lsl(SEL_KDATA, &zf));
  check_eq("LSL of TSS is its limit", sizeof main_tss - 1, lsl(SEL_TSS, &zf));
  check_eq("LSL of LDT descriptor", sizeof ldt - 1, lsl(SEL(D_LDT), &zf));
  lsl(SEL(D_CGATE), &zf);
  check_eq("LSL of call gate: ZF=0", 0, zf);
  /* VERR/VERW. */
  check_eq("VERR readable data: ZF=1", 1, verr(SEL_KDATA));
  check_eq("VERR execute-only code: ZF=0", 0, verr(SEL(D_XO)));
  check_eq("VERR readable code: ZF=1", 1, verr(SEL(D_CR)));
  check_eq("VERR TSS: ZF=0", 0, verr(SEL_TSS));
  check_eq("VERR null: ZF=0", 0, verr(0));
  check_eq("VERW writable data: ZF=1", 1, verw(SEL_KDATA));
  check_eq("VERW read-only data: ZF=0", 0, verw(SEL(D_RO)));
  check_eq("VERW code: ZF=0", 0, verw(SEL(D_CR)));
  check_eq("VERW DPL3 read-only data: ZF=0", 0, verw(SEL(D_RO3)));
  /* ARPL: if dest.RPL < src.RPL, dest.RPL = src.RPL and ZF=1, else ZF=0. */
  uint16_t d = 0x0010;
  uint8_t z;
  __asm__ volatile("arpl %2, %0\n setz %1" : "+r"(d), "=q"(z) : "r"((uint16_t)0x0023) : "cc");
  check_eq("ARPL raises RPL 0 to 3", 0x0013, d);
  check_eq("ARPL sets ZF when adjusting", 1, z);
  d = 0x0012;
  __asm__ volatile("arpl %2, %0\n setz %1" : "+r"(d), "=q"(z) : "r"((uint16_t)0x0021) : "cc");
  check_eq("ARPL leaves RPL 2 >= 1 unchanged", 0x0012, d);
  check_eq("ARPL clears ZF when not adjusting", 0, z);
}

/* SGDT/SIDT/SLDT/STR/SMSW/LMSW/CLTS (Vol. 2B; 2.5 for CR0): the stores
 * work at any CPL (no UMIP on this CPU class); LGDT, LMSW and CLTS are
 * #GP(0) at CPL > 0; LMSW loads CR0 bits 0-3 but cannot clear PE. */
static void system_instructions(void) {
  struct __attribute__((packed)) { uint16_t limit; uint32_t base; } g, i;
  __asm__ volatile("sgdt %0\n sidt %1" : "=m"(g), "=m"(i));
  check_eq("SGDT base", (uint32_t)gdt, g.base);
  check_eq("SGDT limit", sizeof gdt - 1, g.limit);
  check_eq("SIDT base", (uint32_t)idt, i.base);
  check_eq("SIDT limit", sizeof idt - 1, i.limit);
  uint32_t v = 0xFFFF;
  __asm__ volatile("sldt %w0" : "+r"(v));
  check_eq("SLDT", SEL(D_LDT), v & 0xFFFF);
  v = 0;
  __asm__ volatile("str %w0" : "+r"(v));
  check_eq("STR", SEL_TSS, v & 0xFFFF);
  uint32_t msw = 0;
  __asm__ volatile("smsw %0" : "=r"(msw));
  check_eq("SMSW (register) returns CR0 bits 15:0", READ_CR(0) & 0xFFFF, msw & 0xFFFF);
  const uint32_t cr0 = READ_CR(0);
  __asm__ volatile("lmsw %w0" ::"r"((uint16_t)(cr0 & ~1u) | 0x8));
  check_eq("LMSW cannot clear PE", 1, READ_CR(0) & 1);
  check_eq("LMSW sets TS", 0x8, READ_CR(0) & 0x8);
  __asm__ volatile("clts");
  check_eq("CLTS clears TS", 0, READ_CR(0) & 0x8);
  WRITE_CR(0, cr0);
  run_ring3(r3_store, 0x2);
  check_fault("CPL3: SMSW and SGDT execute", VEC_USER_RETURN, NO_ERR_CHECK);
  check_eq("CPL3: SMSW value", cr0 & 0xFFFF, r3_smsw & 0xFFFF);
  check_eq("CPL3: SGDT limit", sizeof gdt - 1, r3_sgdt_limit);
  run_ring3(r3_lgdt, 0x2);
  check_fault("CPL3: LGDT is #GP(0)", 13, 0);
  run_ring3(r3_lmsw, 0x2);
  check_fault("CPL3: LMSW is #GP(0)", 13, 0);
  run_ring3(r3_clts, 0x2);
  check_fault("CPL3: CLTS is #GP(0)", 13, 0);
}

void test_main(void) {
  setup();
  system_instructions();
  data_loads();
  limits();
  code_loads();
  instructions();
  ring3();
}
