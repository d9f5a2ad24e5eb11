// The -ENOSYS stub that runc also puts in front of a deny-by-default filter: a syscall newer
// than every syscall the profile names (on the native ABI) gets ENOSYS instead of the default
// errno, so programs built for a newer kernel fall back (glibc tries fchmodat2, clone3, ... and
// falls back only on ENOSYS), while syscalls the profile leaves out on purpose still get the
// profile's answer. Internal to compile().
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/seccomp/seccomp.h"

namespace spacelet::sandbox::seccomp {

// The largest native syscall number any rule of `spec` names (names libseccomp does not know
// are not counted), or nullopt when there is none.
std::optional<uint32_t> highestNamedSyscall(const Spec& spec);

// Whether the default action denies (errno, kill, trap): only then does the stub help.
bool defaultDenies(const std::string& defaultAction);

// `program` with the stub in front: on `nativeArch`, a syscall number above `highest`
// (not an x32 one) returns SECCOMP_RET_ERRNO | ENOSYS; everything else runs `program`.
std::vector<struct sock_filter> withEnosysStub(const std::vector<struct sock_filter>& program,
                                               uint32_t nativeArch, uint32_t highest);

}  // namespace spacelet::sandbox::seccomp
