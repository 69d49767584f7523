// --stats for the JIT (see jit_engine.h): translation-cache figures and the
// split of retired instructions between blocks and interpreter stretches.
#include <cstdio>

#include "jit/jit_engine.h"

namespace tx86::jit {

void print_jit_stats(std::FILE* out, const JitEngine& engine, double host_seconds) {
  const JitStats s = engine.stats();
  const uint64_t interp = engine.fallback().stats().retired;
  const uint64_t total = s.block_instructions + interp;
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::fprintf(out, "jit:\n");
  std::fprintf(out, "  instructions retired  %llu (in blocks %llu, in the interpreter %llu)\n", u(total),
               u(s.block_instructions), u(interp));
  if (host_seconds > 0) std::fprintf(out, "  speed                 %.1f MIPS\n", static_cast<double>(total) / host_seconds / 1e6);
  std::fprintf(out, "  blocks translated     %llu\n", u(s.cache.blocks_translated));
  std::fprintf(out, "  blocks run            %llu (cache hits %llu)\n", u(s.blocks_run), u(s.cache.cache_hits));
  std::fprintf(out, "  chain links           %llu patched, %llu blocks entered through one%s\n", u(s.cache.chain_links),
               u(s.direct_runs), s.chaining ? "" : " (chaining off: lockstep)");
  std::fprintf(out, "  indirect lookups      %llu entries written, %llu blocks entered through one\n",
               u(s.lookup_fills), u(s.indirect_runs));
  std::fprintf(out, "  dispatcher lookups    %llu answered by the lookup table (the rest by the cache)\n",
               u(s.table_hits));
  std::fprintf(out, "  dispatcher links      %llu blocks run after another without the boundary check\n",
               u(s.linked_runs));
  std::fprintf(out, "  port I/O in blocks    %llu IN/OUT after which the block went on\n", u(s.port_io_kept));
  std::fprintf(out, "  INT/IRET links        %llu blocks went on through the lookup table after one\n", u(s.transfer_links));
  std::fprintf(out, "  REP strings in bulk   %llu executions (MOVS STOS CMPS SCAS)\n", u(s.bulk_runs));
  std::fprintf(out, "  TLB hint misses       %llu (inline accesses that computed their TLB entry: hint missed, or misaligned)\n", u(s.tlb_hint_misses));
  std::fprintf(out, "  invalidations         %llu (self-modifying code)\n", u(s.cache.invalidations));
  std::fprintf(out, "  link epochs           %llu (every link and lookup entry dropped at once)\n", u(s.link_epochs));
  std::fprintf(out, "  flushes               %llu\n", u(s.cache.flushes));
  std::fprintf(out, "  interpreter stretches %llu\n", u(s.fallback_runs));
  std::fprintf(out, "  faults in blocks      %llu\n", u(s.exceptions));
  std::fprintf(out, "  time translating      %.3f ms\n", s.cache.translate_seconds * 1e3);
  std::fprintf(out, "  link signature        %llu changes (mapping or CS; links kept otherwise), %llu INVLPGs kept them\n",
               u(s.signature_changes), u(s.invlpg_kept));
  std::fprintf(out, "  hot SMC pages         %llu pauses, %llu translations left to the interpreter\n",
               u(s.cache.hot_pauses), u(s.cache.paused_lookups));
  if (s.lockstep_blocks != 0 || s.lockstep_skipped != 0)
    std::fprintf(out, "  lockstep              %llu blocks compared, %llu with port I/O not compared\n",
                 u(s.lockstep_blocks), u(s.lockstep_skipped));
}

}  // namespace tx86::jit
