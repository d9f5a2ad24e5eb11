// The seccomp interface of spacelet-run: OCI `linux.seccomp` as a plain struct, compiled
// with libseccomp into a BPF program *before* clone, and loaded in the container's init
// after clone with one async-signal-safe call (no allocation, no libseccomp in the child).
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "spacelet/base/error.h"

namespace spacelet::sandbox::seccomp {

// One argument condition of a syscall rule (linux.seccomp.syscalls[].args[]).
struct ArgCondition {
  unsigned index = 0;
  uint64_t value = 0;
  uint64_t valueTwo = 0;
  std::string op;  // SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT,
                   // SCMP_CMP_MASKED_EQ
};

struct SyscallRule {
  std::vector<std::string> names;
  std::string action;  // SCMP_ACT_*
  std::optional<unsigned> errnoRet;
  std::vector<ArgCondition> args;
};

struct Spec {
  std::string defaultAction;  // SCMP_ACT_*
  std::optional<unsigned> defaultErrnoRet;
  std::vector<std::string> architectures;  // SCMP_ARCH_*
  std::vector<std::string> flags;          // SECCOMP_FILTER_FLAG_*
  std::string listenerPath;                // for SCMP_ACT_NOTIFY
  std::string listenerMetadata;
  std::vector<SyscallRule> syscalls;
};

// Parses linux.seccomp. Errors name the JSON path (e.g. "linux.seccomp.syscalls[3].action")
// and unknown actions, architectures, operators and flags.
Result<Spec> parse(const nlohmann::json& j, const std::string& path);

// A filter ready to load: the BPF program and the seccomp(2) flags.
struct CompiledFilter {
  std::vector<struct sock_filter> program;
  unsigned int flags = 0;
  bool usesNotify = false;  // the load returns a listener fd to send to listenerPath
};

// Compiles with libseccomp (unknown syscall names on this architecture are skipped, as
// runc and crun do). Runs in the runtime before clone.
Result<CompiledFilter> compile(const Spec& spec);

// Loads `filter` into the calling thread with seccomp(SECCOMP_SET_MODE_FILTER). Safe to call
// in the child after clone: no allocation, no locks. Returns the listener fd for a notify
// filter, 0 otherwise, or -errno. The caller must have set no_new_privs or hold
// CAP_SYS_ADMIN.
int load(const CompiledFilter& filter) noexcept;

}  // namespace spacelet::sandbox::seccomp
