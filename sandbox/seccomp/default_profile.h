// The seccomp profile every Space runs under (DESIGN.md decision 8): Docker's default
// profile resolved for a process holding no capabilities, as an OCI linux.seccomp object
// that agent/bundle puts into config.json and spacelet-run compiles like any other.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

namespace spacelet::sandbox::seccomp {

// clone(2) flags that create namespaces (NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID,
// NEWNET). The profile allows clone only when (flags & kCloneNamespaceFlags) == 0.
inline constexpr uint64_t kCloneNamespaceFlags = 0x7E020000;

// The profile for the architecture spacelet was built for (its native ABI plus the 32-bit
// ABIs it can run, e.g. x86_64 + x86 + x32):
//  - defaultAction SCMP_ACT_ERRNO with defaultErrnoRet EPERM: an allowlist;
//  - clone allowed only without namespace flags (argument mask), clone3 answered with ENOSYS
//    so glibc falls back to clone, whose flags seccomp can see (clone3 passes a pointer);
//  - socket allowed for every family but AF_VSOCK; personality only for the harmless values;
//  - the capability-gated groups (mount, unshare, setns, bpf, ...) left out, since a Space
//    holds no capabilities; ptrace allowed as Docker does on linux >= 4.8, where seccomp runs
//    after the tracer's changes.
// Pure and thread-safe; returns a new object every call.
nlohmann::json defaultProfile();

}  // namespace spacelet::sandbox::seccomp
