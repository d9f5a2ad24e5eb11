// The name tables of OCI linux.seccomp. Architectures and actions are the ones the runtime
// spec lists "as of libseccomp v2.5.0"; Debian 12 ships libseccomp 2.5.4, which has them all.
#include "sandbox/seccomp/names.h"

#include <linux/seccomp.h>
#include <seccomp.h>

#include <array>

namespace spacelet::sandbox::seccomp {
namespace {

constexpr std::array kActions = {
    NamedValue{"SCMP_ACT_KILL", SCMP_ACT_KILL},
    NamedValue{"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
    NamedValue{"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
    NamedValue{"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
    NamedValue{"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
    NamedValue{"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
    NamedValue{"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
    NamedValue{"SCMP_ACT_LOG", SCMP_ACT_LOG},
    NamedValue{"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
};

constexpr std::array kArchitectures = {
    NamedValue{"SCMP_ARCH_X86", SCMP_ARCH_X86},
    NamedValue{"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    NamedValue{"SCMP_ARCH_X32", SCMP_ARCH_X32},
    NamedValue{"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    NamedValue{"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    NamedValue{"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    NamedValue{"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    NamedValue{"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    NamedValue{"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    NamedValue{"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    NamedValue{"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    NamedValue{"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    NamedValue{"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    NamedValue{"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    NamedValue{"SCMP_ARCH_S390", SCMP_ARCH_S390},
    NamedValue{"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    NamedValue{"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    NamedValue{"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    NamedValue{"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

constexpr std::array kOperators = {
    NamedValue{"SCMP_CMP_NE", SCMP_CMP_NE},
    NamedValue{"SCMP_CMP_LT", SCMP_CMP_LT},
    NamedValue{"SCMP_CMP_LE", SCMP_CMP_LE},
    NamedValue{"SCMP_CMP_EQ", SCMP_CMP_EQ},
    NamedValue{"SCMP_CMP_GE", SCMP_CMP_GE},
    NamedValue{"SCMP_CMP_GT", SCMP_CMP_GT},
    NamedValue{"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

constexpr std::array kFlags = {
    NamedValue{"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    NamedValue{"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    NamedValue{"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    NamedValue{"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

}  // namespace

std::span<const NamedValue> actionNames() {
  return kActions;
}
std::span<const NamedValue> architectureNames() {
  return kArchitectures;
}
std::span<const NamedValue> operatorNames() {
  return kOperators;
}
std::span<const NamedValue> flagNames() {
  return kFlags;
}

std::optional<uint32_t> lookup(std::span<const NamedValue> table, std::string_view name) {
  for (const auto& entry : table) {
    if (entry.name == name) return entry.value;
  }
  return std::nullopt;
}

std::string listNames(std::span<const NamedValue> table) {
  std::string out;
  for (const auto& entry : table) {
    if (!out.empty()) out += ", ";
    out.append("'").append(entry.name).append("'");
  }
  return out;
}

bool actionTakesErrno(std::string_view action) {
  return action == "SCMP_ACT_ERRNO" || action == "SCMP_ACT_TRACE";
}

}  // namespace spacelet::sandbox::seccomp
