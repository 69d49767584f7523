// The parent's end of the native helper (native_helper.c): starts the 32-bit
// process, sends it batches of sequences through a pipe and reads back its
// results. One batch may be in flight while the caller runs tx86 on the
// previous one, which keeps both cores busy.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

#include "tests/host_oracle/generator.h"
#include "tests/host_oracle/oracle_abi.h"

namespace tx86::oracle {

class NativeHelper {
 public:
  // Throws std::runtime_error if the helper cannot be started.
  explicit NativeHelper(const std::string& path);
  NativeHelper(const NativeHelper&) = delete;
  NativeHelper& operator=(const NativeHelper&) = delete;
  ~NativeHelper();

  // Sends one batch; at most one batch may be outstanding.
  void send(const std::vector<Sequence>& batch);
  // Waits for the results of the outstanding batch. Throws std::runtime_error
  // if the helper died.
  std::vector<OracleOutput> receive();
  // Runs one sequence single-stepped (no batch may be outstanding): its
  // result and the state after every instruction.
  OracleOutput trace(const Sequence& seq, std::vector<OracleStep>& steps);

 private:
  pid_t pid_ = -1;
  int to_helper_ = -1;
  int from_helper_ = -1;
  size_t outstanding_ = 0;
};

}  // namespace tx86::oracle
