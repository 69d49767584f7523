#include "cli/stats.h"


#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/priv/priv_stats.h"

namespace tx86::cli {

std::string_view mnemonic_group(x86::Mnemonic m) {
  using x86::Mnemonic;
  const std::string_view n = x86::mnemonic_name(m);
  auto starts = [&](std::string_view p) { return n.substr(0, p.size()) == p; };
  auto any = [&](std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  if (n.size() > 1 && n[0] == 'f') return "x87";
  if (starts("cmov") || any({"mov", "movzx", "movsx", "xchg", "lea", "lds", "les", "lfs", "lgs", "lss",
                             "xlat", "bswap", "cbw", "cwd", "lahf", "sahf", "salc"}))
    return "data transfer";
  if (any({"push", "pop", "pusha", "popa", "pushf", "popf", "enter", "leave"})) return "stack";
  if (any({"add", "adc", "sub", "sbb", "cmp", "inc", "dec", "neg", "mul", "imul", "div", "idiv",
           "xadd", "cmpxchg", "cmpxchg8b"}))
    return "arithmetic";
  if (any({"daa", "das", "aaa", "aas", "aam", "aad"})) return "decimal";
  if (any({"and", "or", "xor", "not", "test"})) return "logic";
  if (any({"rol", "ror", "rcl", "rcr", "shl", "shr", "sar", "shld", "shrd"})) return "shift/rotate";
  if (starts("set") || any({"bt", "bts", "btr", "btc", "bsf", "bsr"})) return "bit/byte";
  if (any({"movs", "cmps", "stos", "lods", "scas", "ins", "outs"})) return "string";
  if ((n[0] == 'j' && n != "jmpf") || any({"jmp", "jmpf", "call", "callf", "ret", "retf", "loop", "loope",
                                            "loopne", "jcxz", "int", "int1", "int3", "into", "iret",
                                            "bound"}))
    return "control transfer";
  if (any({"clc", "stc", "cmc", "cld", "std", "cli", "sti"})) return "flag control";
  if (any({"in", "out"})) return "port i/o";
  if (any({"nop", "wait", "ud0", "ud1", "ud2"})) return "misc";
  return "system";
}

namespace {

// Trap-and-emulate counts (DESIGN.md §3): what the guest asked of the
// "hypervisor", by handler family and by the guest's privilege level.
void print_trap_stats(std::FILE* out, const core::priv::PrivStats& p) {
  using core::priv::Family;
  uint64_t total = 0;
  for (size_t f = 0; f < static_cast<size_t>(Family::kCount); ++f) total += p.total(static_cast<Family>(f));
  std::fprintf(out, "  trap-and-emulate      %llu traps\n", static_cast<unsigned long long>(total));
  if (total == 0) return;
  std::fprintf(out, "    %-20s %12s %10s %10s %10s %10s\n", "family", "total", "CPL 0", "CPL 1", "CPL 2", "CPL 3");
  for (size_t f = 0; f < static_cast<size_t>(Family::kCount); ++f) {
    const auto fam = static_cast<Family>(f);
    if (p.total(fam) == 0) continue;
    const std::string_view name = core::priv::family_name(fam);
    const auto& c = p.traps[f];
    std::fprintf(out, "    %-20.*s %12llu %10llu %10llu %10llu %10llu\n", static_cast<int>(name.size()), name.data(),
                 static_cast<unsigned long long>(p.total(fam)), static_cast<unsigned long long>(c[0]),
                 static_cast<unsigned long long>(c[1]), static_cast<unsigned long long>(c[2]),
                 static_cast<unsigned long long>(c[3]));
  }
}

}  // namespace

void print_stats(std::FILE* out, core::Machine& machine, std::string_view engine_name, const core::Interpreter& engine,
                 const devices::PostCode& post, double host_seconds) {
  const core::InterpreterStats& s = engine.stats();
  // Retired instructions come from the machine's clock, which every engine
  // advances (the interpreter's own count misses what a JIT ran in blocks).
  const uint64_t retired = machine.clock().retired();
  const double mips = host_seconds > 0 ? static_cast<double>(retired) / host_seconds / 1e6 : 0.0;
  std::fprintf(out, "tx86 statistics (engine %.*s)\n", static_cast<int>(engine_name.size()), engine_name.data());
  const bool fallback_only = engine_name != engine.name();
  std::fprintf(out, "  instructions retired  %llu\n", static_cast<unsigned long long>(retired));
  std::fprintf(out, "  host time             %.3f s\n", host_seconds);
  std::fprintf(out, "  speed                 %.1f MIPS\n", mips);
  std::fprintf(out, "  virtual time          %.6f s (%llu instructions/s)\n",
               static_cast<double>(machine.clock().now_ns()) / 1e9,
               static_cast<unsigned long long>(machine.clock().instructions_per_second()));
  std::fprintf(out, "  exceptions            %llu\n", static_cast<unsigned long long>(s.exceptions));
  std::fprintf(out, "  interrupts            %llu\n", static_cast<unsigned long long>(s.interrupts));
  std::fprintf(out, "  decode cache          %llu hits, %llu misses, %llu invalidations\n",
               static_cast<unsigned long long>(s.decode_cache_hits),
               static_cast<unsigned long long>(s.decode_cache_misses),
               static_cast<unsigned long long>(s.decode_cache_invalidations));
  if (post.writes() > 0)
    std::fprintf(out, "  POST code (port 80h)  %02Xh (%llu writes)\n", post.last(),
                 static_cast<unsigned long long>(post.writes()));
  else
    std::fprintf(out, "  POST code (port 80h)  none written\n");

  print_trap_stats(out, engine.priv_stats());

  std::map<std::string_view, uint64_t> groups;
  std::vector<std::pair<uint64_t, x86::Mnemonic>> top;
  for (size_t i = 0; i < s.by_mnemonic.size(); ++i) {
    if (s.by_mnemonic[i] == 0) continue;
    auto m = static_cast<x86::Mnemonic>(i);
    groups[mnemonic_group(m)] += s.by_mnemonic[i];
    top.emplace_back(s.by_mnemonic[i], m);
  }
  std::vector<std::pair<uint64_t, std::string_view>> sorted;
  for (auto& [name, count] : groups) sorted.emplace_back(count, name);
  std::sort(sorted.rbegin(), sorted.rend());
  std::fprintf(out, fallback_only ? "  by group (only instructions the fall-back interpreter ran):\n" : "  by group:\n");
  for (auto& [count, name] : sorted)
    std::fprintf(out, "    %-18.*s %12llu  %5.1f%%\n", static_cast<int>(name.size()), name.data(),
                 static_cast<unsigned long long>(count),
                 s.retired ? 100.0 * static_cast<double>(count) / static_cast<double>(s.retired) : 0.0);
  std::sort(top.rbegin(), top.rend());
  std::fprintf(out, "  most executed:");
  for (size_t i = 0; i < top.size() && i < 8; ++i) {
    std::string_view n = x86::mnemonic_name(top[i].second);
    std::fprintf(out, " %.*s=%llu", static_cast<int>(n.size()), n.data(),
                 static_cast<unsigned long long>(top[i].first));
  }
  std::fprintf(out, "\n");
}

}  // namespace tx86::cli
