// Name tables for config.json (see names.h). Numbers come from <linux/capability.h>,
// <sys/resource.h>, <sched.h> and <sys/personality.h>.
#include "sandbox/spec/names.h"

#include <linux/capability.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include <array>
#include <utility>

namespace spacelet::sandbox::spec {
namespace {

// Indexed by capability number (capabilities(7)).
constexpr std::array<std::string_view, 41> kCapabilityNames = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

constexpr std::pair<std::string_view, int> kRlimits[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},           {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},         {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},   {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},       {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},     {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

struct NamespaceInfo {
  NamespaceType type;
  std::string_view specName;
  std::string_view procName;
  int cloneFlag;
};

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

constexpr NamespaceInfo kNamespaces[] = {
    {NamespaceType::kPid, "pid", "pid", CLONE_NEWPID},
    {NamespaceType::kNetwork, "network", "net", CLONE_NEWNET},
    {NamespaceType::kMount, "mount", "mnt", CLONE_NEWNS},
    {NamespaceType::kIpc, "ipc", "ipc", CLONE_NEWIPC},
    {NamespaceType::kUts, "uts", "uts", CLONE_NEWUTS},
    {NamespaceType::kUser, "user", "user", CLONE_NEWUSER},
    {NamespaceType::kCgroup, "cgroup", "cgroup", CLONE_NEWCGROUP},
    {NamespaceType::kTime, "time", "time", CLONE_NEWTIME},
};

const NamespaceInfo& info(NamespaceType type) {
  for (const auto& ns : kNamespaces) {
    if (ns.type == type) return ns;
  }
  return kNamespaces[0];
}

}  // namespace

std::optional<int> capabilityFromName(std::string_view name) {
  for (size_t i = 0; i < kCapabilityNames.size(); ++i) {
    if (kCapabilityNames[i] == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::string_view capabilityName(int cap) {
  if (cap < 0 || static_cast<size_t>(cap) >= kCapabilityNames.size()) return {};
  return kCapabilityNames[static_cast<size_t>(cap)];
}

std::vector<std::string> allCapabilityNames() {
  return {kCapabilityNames.begin(), kCapabilityNames.end()};
}

int lastCapability() {
  return static_cast<int>(kCapabilityNames.size()) - 1;
}

std::optional<int> rlimitFromName(std::string_view name) {
  for (const auto& [n, resource] : kRlimits) {
    if (n == name) return resource;
  }
  return std::nullopt;
}

std::vector<std::string> allRlimitNames() {
  std::vector<std::string> out;
  for (const auto& entry : kRlimits) out.emplace_back(entry.first);
  return out;
}

std::optional<NamespaceType> namespaceFromName(std::string_view name) {
  for (const auto& ns : kNamespaces) {
    if (ns.specName == name) return ns.type;
  }
  return std::nullopt;
}

std::string_view namespaceName(NamespaceType type) {
  return info(type).specName;
}

int namespaceCloneFlag(NamespaceType type) {
  return info(type).cloneFlag;
}

std::string_view namespaceProcName(NamespaceType type) {
  return info(type).procName;
}

const std::vector<NamespaceType>& allNamespaceTypes() {
  static const std::vector<NamespaceType> kAll = {
      NamespaceType::kPid, NamespaceType::kNetwork, NamespaceType::kMount,  NamespaceType::kIpc,
      NamespaceType::kUts, NamespaceType::kUser,    NamespaceType::kCgroup, NamespaceType::kTime};
  return kAll;
}

std::optional<unsigned long> personalityFromDomain(std::string_view domain) {
  if (domain == "LINUX") return PER_LINUX;
  if (domain == "LINUX32") return PER_LINUX32;
  return std::nullopt;
}

}  // namespace spacelet::sandbox::spec
