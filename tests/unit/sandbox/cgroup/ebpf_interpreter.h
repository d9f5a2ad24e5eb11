// A tiny eBPF interpreter for the instructions the device program assembler emits, so unit
// tests can run the program against device accesses without root or a kernel. Anything
// else (an unknown opcode, a jump out of the program, running off its end) is an error.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

namespace spacelet::sandbox::cgroup::testing {

struct RunResult {
  bool ok = false;
  uint64_t r0 = 0;
  std::string error;
};

// Runs `program` with r1 pointing at `ctx` (struct bpf_cgroup_dev_ctx).
RunResult runDeviceProgram(const std::vector<bpf_insn>& program, const bpf_cgroup_dev_ctx& ctx);

// Convenience: the verdict for a device access. type 'c'/'b'; access bits BPF_DEVCG_ACC_*.
RunResult checkDevice(const std::vector<bpf_insn>& program, char type, uint32_t major,
                      uint32_t minor, uint32_t access);

// Instruction indexes no path from the entry reaches; the kernel's verifier refuses a
// program that has any ("unreachable insn").
std::vector<size_t> unreachableInstructions(const std::vector<bpf_insn>& program);

}  // namespace spacelet::sandbox::cgroup::testing
