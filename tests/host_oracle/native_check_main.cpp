// host-oracle-native: the generator's promise that its sequences never fault,
// checked on the host CPU alone (no tx86 involved), plus a sanity check of the
// helper's round trip: ESP must come back to the top of the stack.
//
//   host_oracle_native_check --helper PATH [--count N] [--seed S]
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "tests/host_oracle/generator.h"
#include "tests/host_oracle/native_client.h"

int main(int argc, char** argv) {
  using namespace tx86::oracle;
  std::string helper_path;
  uint64_t count = 20000, seed = 0x6E617469766500ull;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--helper") helper_path = argv[i + 1];
    else if (a == "--count") count = std::strtoull(argv[i + 1], nullptr, 0);
    else if (a == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 0);
    else {
      std::fprintf(stderr, "host_oracle_native_check: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (helper_path.empty()) {
    std::fprintf(stderr, "usage: host_oracle_native_check --helper PATH [--count N] [--seed S]\n");
    return 2;
  }
  try {
    NativeHelper helper(helper_path);
    uint64_t faults = 0, bad_esp = 0;
    for (uint64_t start = 0; start < count; start += 2000) {
      std::vector<Sequence> batch;
      for (uint64_t i = start; i < count && i < start + 2000; ++i) batch.push_back(generate(sequence_seed(seed, i)));
      helper.send(batch);
      const std::vector<OracleOutput> out = helper.receive();
      for (size_t k = 0; k < batch.size(); ++k) {
        if (out[k].signal != 0 && ++faults <= 10)
          std::printf("FAULT seed=%#" PRIx64 " index=%" PRIu64 ": signal %u at EIP %08x (offset %#x)\n", seed,
                      start + k, out[k].signal, out[k].fault_eip, out[k].fault_eip - kCodeAddr);
        if (out[k].signal == 0 && out[k].gpr[4] != kStackTop && ++bad_esp <= 10)
          std::printf("ESP seed=%#" PRIx64 " index=%" PRIu64 ": ends at %08x\n", seed, start + k, out[k].gpr[4]);
      }
    }
    std::printf("host-oracle-native: %" PRIu64 " sequences, %" PRIu64 " faults, %" PRIu64 " bad ESP, seed %#" PRIx64 "\n",
                count, faults, bad_esp, seed);
    return faults == 0 && bad_esp == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "host_oracle_native_check: %s\n", e.what());
    return 2;
  }
}
