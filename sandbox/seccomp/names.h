// The names OCI linux.seccomp uses (libseccomp's SCMP_ACT_*, SCMP_ARCH_*, SCMP_CMP_* and the
// kernel's SECCOMP_FILTER_FLAG_*) and the numbers they stand for. parse() validates against
// these tables and compile() translates with them, so the two can never disagree.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace spacelet::sandbox::seccomp {

struct NamedValue {
  std::string_view name;
  uint32_t value;
};

// SCMP_ACT_* → libseccomp action; for SCMP_ACT_ERRNO and SCMP_ACT_TRACE the value carries no
// data yet (compile() ors in errnoRet).
std::span<const NamedValue> actionNames();
// SCMP_ARCH_* → libseccomp architecture token (the kernel's AUDIT_ARCH_*).
std::span<const NamedValue> architectureNames();
// SCMP_CMP_* → enum scmp_compare.
std::span<const NamedValue> operatorNames();
// SECCOMP_FILTER_FLAG_* that a config may ask for → the seccomp(2) flag bit. NEW_LISTENER is
// not among them: the runtime sets it itself when a rule uses SCMP_ACT_NOTIFY.
std::span<const NamedValue> flagNames();

std::optional<uint32_t> lookup(std::span<const NamedValue> table, std::string_view name);

// "'A', 'B', 'C'": the valid names, for error messages.
std::string listNames(std::span<const NamedValue> table);

// SCMP_ACT_ERRNO and SCMP_ACT_TRACE carry a 16-bit value (errnoRet); the others do not.
bool actionTakesErrno(std::string_view action);

}  // namespace spacelet::sandbox::seccomp
