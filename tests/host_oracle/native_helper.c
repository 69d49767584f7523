/* The native side of the host-CPU oracle: a static 32-bit process that maps
 * the oracle's code and data pages at the addresses tx86 uses
 * (oracle_abi.h), then for every sequence it is sent: loads the data and the
 * code (plus a jump to oracle_exit), loads the guest registers and EFLAGS,
 * runs the code on the host CPU and sends back the registers, EFLAGS and
 * data bytes.
 *
 * Protocol (stdin -> stdout, see oracle_abi.h): batches of sequences; the
 * whole batch is read before any result is written, so the parent can write a
 * batch and then read its results without deadlock.
 *
 * A sequence that faults is caught with a signal handler on an alternate
 * stack and reported with its signal, the exception the kernel names in the
 * signal context (trapno, error code, CR2) and the registers at the fault;
 * the helper carries on. Outside the ring-3 mode's deliberate last
 * instruction (GeneratorOptions::faults) a fault is a generator bug.
 *
 * On request (OracleInput.trace, one sequence per batch) a sequence runs with
 * TF set and the SIGTRAP handler records the state after every instruction,
 * for the parent's first-divergence report.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "oracle_abi.h"

#ifndef __i386__
#error "native_helper must be built for i386 (-m32)"
#endif

_Static_assert(sizeof(struct OracleInput) == 44 + ORACLE_DATA_BYTES, "OracleInput layout");
_Static_assert(sizeof(struct OracleStep) == 40, "OracleStep layout");
_Static_assert(sizeof(struct OracleOutput) == 56 + ORACLE_DATA_BYTES, "OracleOutput layout");

struct OracleContext {
  uint32_t in_gpr[8];
  uint32_t in_eflags;
  uint32_t entry;
  uint32_t out_gpr[8];
  uint32_t out_eflags;
};
_Static_assert(sizeof(struct OracleContext) == 76, "trampoline offsets");

void oracle_run(struct OracleContext* ctx);
void oracle_exit(void);

/* Signal plumbing: the handler needs to find its way back to the run loop. */
static sigjmp_buf fault_return;
static volatile sig_atomic_t fault_signal;
/* The state the kernel reported with the signal. */
static struct OracleOutput fault_state;

/* Single-step tracing (a diagnosis aid: the parent asks for it only for a
 * sequence that mismatched). */
static int tracing;
static uint32_t trace_code_end;
static uint32_t trace_prev_eip;
static struct OracleStep trace_steps[ORACLE_MAX_STEPS];
static uint32_t trace_count;

static void on_trap(ucontext_t* uctx) {
  greg_t* g = uctx->uc_mcontext.gregs;
  const uint32_t eip = (uint32_t)g[REG_EIP];
  if (eip == (uint32_t)(uintptr_t)&oracle_exit) {
    g[REG_EFL] &= ~0x100; /* stop stepping: back in the helper */
    return;
  }
  if (eip < ORACLE_CODE_ADDR || eip > trace_code_end) return; /* the trampoline */
  /* A PUSHF just pushed TF=1: make the image what an untraced run pushes. */
  if (trace_count > 0) {
    const uint8_t* p = (const uint8_t*)(uintptr_t)trace_prev_eip;
    while (*p == 0x66 || *p == 0x26 || *p == 0x2E || *p == 0x36 || *p == 0x3E) ++p;
    if (*p == 0x9C) *(uint8_t*)(uintptr_t)((uint32_t)g[REG_UESP] + 1) &= (uint8_t)~0x01;
  }
  trace_prev_eip = eip;
  if (trace_count < ORACLE_MAX_STEPS) {
    struct OracleStep* st = &trace_steps[trace_count++];
    st->eip = eip;
    st->gpr[0] = (uint32_t)g[REG_EAX];
    st->gpr[1] = (uint32_t)g[REG_ECX];
    st->gpr[2] = (uint32_t)g[REG_EDX];
    st->gpr[3] = (uint32_t)g[REG_EBX];
    st->gpr[4] = (uint32_t)g[REG_UESP];
    st->gpr[5] = (uint32_t)g[REG_EBP];
    st->gpr[6] = (uint32_t)g[REG_ESI];
    st->gpr[7] = (uint32_t)g[REG_EDI];
    st->eflags = (uint32_t)g[REG_EFL] & ~0x100u;
  }
  g[REG_EFL] |= 0x100; /* POPF may have cleared TF: keep stepping */
}

static void on_fault(int sig, siginfo_t* info, void* uctx_void) {
  (void)info;
  ucontext_t* uctx = (ucontext_t*)uctx_void;
  if (sig == SIGTRAP && tracing) {
    on_trap(uctx);
    return;
  }
  fault_signal = sig;
  const greg_t* g = uctx->uc_mcontext.gregs;
  fault_state.fault_eip = (uint32_t)g[REG_EIP];
  fault_state.trapno = (uint32_t)g[REG_TRAPNO];
  fault_state.error_code = (uint32_t)g[REG_ERR];
  fault_state.cr2 = (uint32_t)uctx->uc_mcontext.cr2;
  fault_state.gpr[0] = (uint32_t)g[REG_EAX];
  fault_state.gpr[1] = (uint32_t)g[REG_ECX];
  fault_state.gpr[2] = (uint32_t)g[REG_EDX];
  fault_state.gpr[3] = (uint32_t)g[REG_EBX];
  fault_state.gpr[4] = (uint32_t)g[REG_UESP];
  fault_state.gpr[5] = (uint32_t)g[REG_EBP];
  fault_state.gpr[6] = (uint32_t)g[REG_ESI];
  fault_state.gpr[7] = (uint32_t)g[REG_EDI];
  fault_state.eflags = (uint32_t)g[REG_EFL];
  siglongjmp(fault_return, 1);
}

static void die(const char* what) {
  fprintf(stderr, "native_helper: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void map_fixed(uint32_t addr, uint32_t size, int prot) {
  void* p = mmap((void*)(uintptr_t)addr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p == MAP_FAILED) die("mmap");
  if (p != (void*)(uintptr_t)addr) {
    fprintf(stderr, "native_helper: mmap at 0x%08x gave %p\n", addr, p);
    exit(2);
  }
}

static int read_full(void* buf, size_t size) {
  uint8_t* p = buf;
  while (size > 0) {
    ssize_t n = read(0, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    p += n;
    size -= (size_t)n;
  }
  return 1;
}

static void write_full(const void* buf, size_t size) {
  const uint8_t* p = buf;
  while (size > 0) {
    ssize_t n = write(1, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die("write");
    p += n;
    size -= (size_t)n;
  }
}

static void run_one(const struct OracleInput* in, const uint8_t* code, struct OracleOutput* out) {
  uint8_t* code_page = (uint8_t*)(uintptr_t)ORACLE_CODE_ADDR;
  memcpy(code_page, code, in->code_bytes);
  /* jmp rel32 to oracle_exit */
  uint32_t after = ORACLE_CODE_ADDR + in->code_bytes + 5;
  int32_t rel = (int32_t)((uint32_t)(uintptr_t)&oracle_exit - after);
  code_page[in->code_bytes] = 0xE9;
  memcpy(code_page + in->code_bytes + 1, &rel, 4);
  memcpy((void*)(uintptr_t)ORACLE_DATA_ADDR, in->data, ORACLE_DATA_BYTES);

  struct OracleContext ctx;
  memset(&ctx, 0, sizeof ctx);
  memcpy(ctx.in_gpr, in->gpr, sizeof ctx.in_gpr);
  ctx.in_eflags = in->eflags;
  tracing = in->trace != 0;
  trace_count = 0;
  trace_code_end = ORACLE_CODE_ADDR + in->code_bytes;
  if (tracing) ctx.in_eflags |= 0x100;
  ctx.entry = ORACLE_CODE_ADDR;

  memset(out, 0, sizeof *out);
  if (sigsetjmp(fault_return, 1) == 0) {
    oracle_run(&ctx);
    memcpy(out->gpr, ctx.out_gpr, sizeof out->gpr);
    out->eflags = ctx.out_eflags;
  } else {
    *out = fault_state;
    out->signal = (uint32_t)fault_signal;
  }
  tracing = 0;
  memcpy(out->data, (void*)(uintptr_t)ORACLE_DATA_ADDR, ORACLE_DATA_BYTES);
}

int main(void) {
  map_fixed(ORACLE_CODE_MAP, ORACLE_CODE_MAP_BYTES, PROT_READ | PROT_WRITE | PROT_EXEC);
  map_fixed(ORACLE_DATA_MAP, ORACLE_DATA_MAP_BYTES, PROT_READ | PROT_WRITE);
  map_fixed(ORACLE_RO_PAGE, 0x1000, PROT_READ | PROT_WRITE);
  for (uint32_t i = 0; i < 0x1000; ++i) ((uint8_t*)(uintptr_t)ORACLE_RO_PAGE)[i] = ORACLE_RO_BYTE(i);
  if (mprotect((void*)(uintptr_t)ORACLE_RO_PAGE, 0x1000, PROT_READ) != 0) die("mprotect");

  static uint8_t alt_stack[64 * 1024];
  stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof alt_stack, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) die("sigaltstack");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  const int signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; ++i)
    if (sigaction(signals[i], &sa, NULL) != 0) die("sigaction");

  uint8_t* batch = NULL;
  size_t batch_capacity = 0;
  struct OracleOutput* results = NULL;
  size_t results_capacity = 0;
  for (;;) {
    uint32_t count;
    if (!read_full(&count, sizeof count) || count == 0) break;
    if (results_capacity < count) {
      results = realloc(results, count * sizeof *results);
      if (results == NULL) die("realloc");
      results_capacity = count;
    }
    /* Read the whole batch first (see the protocol note above). */
    size_t used = 0;
    for (uint32_t i = 0; i < count; ++i) {
      struct OracleInput in;
      if (!read_full(&in, sizeof in)) die("short batch");
      if (in.code_bytes > ORACLE_MAX_SEQUENCE_BYTES) {
        fprintf(stderr, "native_helper: sequence of %u bytes is too long\n", in.code_bytes);
        return 2;
      }
      size_t need = used + sizeof in + in.code_bytes;
      if (need > batch_capacity) {
        batch_capacity = need * 2;
        batch = realloc(batch, batch_capacity);
        if (batch == NULL) die("realloc");
      }
      memcpy(batch + used, &in, sizeof in);
      if (!read_full(batch + used + sizeof in, in.code_bytes)) die("short batch");
      used = need;
    }
    size_t pos = 0;
    for (uint32_t i = 0; i < count; ++i) {
      struct OracleInput in;
      memcpy(&in, batch + pos, sizeof in);
      if (in.trace && count != 1) {
        fprintf(stderr, "native_helper: a traced sequence must come alone in its batch\n");
        return 2;
      }
      run_one(&in, batch + pos + sizeof in, &results[i]);
      pos += sizeof in + in.code_bytes;
      if (in.trace) {
        write_full(&results[i], sizeof results[i]);
        write_full(&trace_count, sizeof trace_count);
        write_full(trace_steps, trace_count * sizeof trace_steps[0]);
      }
    }
    struct OracleInput first;
    memcpy(&first, batch, sizeof first);
    if (!first.trace) write_full(results, count * sizeof *results);
  }
  free(batch);
  free(results);
  return 0;
}
