// A classic-BPF interpreter for seccomp programs, so unit tests can ask what a compiled
// filter answers for a given syscall, architecture and arguments without loading it.
// It runs the instructions libseccomp emits; anything else fails the test.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <array>
#include <cstdint>
#include <vector>

namespace spacelet::sandbox::seccomp::testing {

struct Call {
  int nr = 0;
  uint32_t arch = 0;
  std::array<uint64_t, 6> args{};
};

// Returns the filter's SECCOMP_RET_* value (action | data) for `call`.
uint32_t run(const std::vector<struct sock_filter>& program, const Call& call);

// The action and data halves of a result.
inline uint32_t actionOf(uint32_t ret) {
  return ret & SECCOMP_RET_ACTION_FULL;
}
inline uint32_t dataOf(uint32_t ret) {
  return ret & SECCOMP_RET_DATA;
}

}  // namespace spacelet::sandbox::seccomp::testing
