// --stats: what the run did, printed at exit: instructions retired, host time
// and MIPS, virtual time, instruction counts by group, decode-cache figures,
// the last POST code, and the CPU's exception/interrupt counts.
#pragma once

#include <cstdio>
#include <string_view>

#include "core/interp/interpreter.h"
#include "core/machine.h"
#include "devices/post_code.h"

namespace tx86::cli {

// The group a mnemonic is counted under ("arithmetic", "control transfer", ...).
std::string_view mnemonic_group(x86::Mnemonic m);

// `engine_name` is the engine that ran the guest; `interp` the interpreter
// whose counts are shown (under the JIT, its fall-back, which counts only
// the instructions it ran itself: the groups are then labelled so).
void print_stats(std::FILE* out, core::Machine& machine, std::string_view engine_name, const core::Interpreter& interp,
                 const devices::PostCode& post, double host_seconds);

}  // namespace tx86::cli
