// The stub is six classic-BPF instructions that read seccomp_data.arch and .nr. libseccomp's
// program uses only relative jumps and reloads what it needs, so putting the stub in front
// leaves it intact.
#include "sandbox/seccomp/enosys_stub.h"

#include <linux/seccomp.h>
#include <seccomp.h>

#include <cerrno>
#include <cstddef>

namespace spacelet::sandbox::seccomp {
namespace {

constexpr uint32_t kX32SyscallBit = 0x40000000;  // __X32_SYSCALL_BIT: x32 calls on x86_64

}  // namespace

std::optional<uint32_t> highestNamedSyscall(const Spec& spec) {
  std::optional<uint32_t> highest;
  for (const auto& rule : spec.syscalls) {
    for (const auto& name : rule.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr < 0) continue;  // unknown, or a pseudo-number for another ABI's syscall
      if (!highest || static_cast<uint32_t>(nr) > *highest) highest = static_cast<uint32_t>(nr);
    }
  }
  return highest;
}

bool defaultDenies(const std::string& defaultAction) {
  return defaultAction == "SCMP_ACT_ERRNO" || defaultAction == "SCMP_ACT_KILL" ||
         defaultAction == "SCMP_ACT_KILL_PROCESS" || defaultAction == "SCMP_ACT_KILL_THREAD" ||
         defaultAction == "SCMP_ACT_TRAP";
}

std::vector<struct sock_filter> withEnosysStub(const std::vector<struct sock_filter>& program,
                                               uint32_t nativeArch, uint32_t highest) {
  // Jump offsets count from the next instruction; index 6 is the first of `program`.
  std::vector<struct sock_filter> out = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),     // 0
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nativeArch, 0, 4),                       // 1: else 6
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),       // 2
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kX32SyscallBit, 2, 0),                  // 3: x32: 6
      BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, highest, 0, 1),                          // 4: else 6
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),  // 5
  };
  out.insert(out.end(), program.begin(), program.end());
  return out;
}

}  // namespace spacelet::sandbox::seccomp
