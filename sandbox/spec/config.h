// OCI runtime-spec 1.1 config.json as plain, validated C++ types: what spacelet-run honours.
// Names are resolved while parsing (capability names to numbers, rlimit names to resources,
// namespace types to clone flags), so the code that applies a Spec never sees strings it
// would have to interpret. Fields spacelet-run does not support are rejected, not ignored.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/cgroup/cgroup.h"
#include "sandbox/seccomp/seccomp.h"

namespace spacelet::sandbox::spec {

struct IdMapping {
  uint32_t containerId = 0;
  uint32_t hostId = 0;
  uint32_t size = 0;
};

struct Rlimit {
  int resource = 0;  // RLIMIT_*
  std::string type;  // "RLIMIT_NOFILE", kept for messages
  uint64_t soft = 0;
  uint64_t hard = 0;
};

// The five capability sets as bit masks (bit n = capability n), names already resolved.
struct Capabilities {
  uint64_t bounding = 0;
  uint64_t effective = 0;
  uint64_t inheritable = 0;
  uint64_t permitted = 0;
  uint64_t ambient = 0;
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<mode_t> umask;
  std::vector<uint32_t> additionalGids;
};

struct ConsoleSize {
  unsigned short height = 0;
  unsigned short width = 0;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> consoleSize;
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  std::optional<Capabilities> capabilities;  // absent: the process keeps none
  std::vector<Rlimit> rlimits;
  bool noNewPrivileges = false;
  std::optional<int> oomScoreAdj;
  // Applied when the host has AppArmor enabled, ignored otherwise (as runc does).
  std::string apparmorProfile;
  // Accepted for compatibility; spacelet-run does not apply SELinux labels.
  std::string selinuxLabel;
};

struct Root {
  std::string path;
  bool readonly = false;
};

struct Mount {
  std::string destination;
  std::string source;
  std::string type;
  std::vector<std::string> options;
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeoutSeconds;
};

struct Hooks {
  std::vector<Hook> prestart;  // deprecated by the spec; run with createRuntime, as runc does
  std::vector<Hook> createRuntime;
  std::vector<Hook> createContainer;
  std::vector<Hook> startContainer;
  std::vector<Hook> poststart;
  std::vector<Hook> poststop;
};

enum class NamespaceType { kPid, kNetwork, kMount, kIpc, kUts, kUser, kCgroup, kTime };

struct Namespace {
  NamespaceType type = NamespaceType::kPid;
  std::string path;  // empty: a new namespace; otherwise join the one at this path
};

struct Device {
  std::string path;
  char type = 'c';  // 'c', 'b', 'u' (unbuffered char) or 'p' (fifo)
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<mode_t> fileMode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
};

// linux.timeOffsets for a new time namespace.
struct TimeOffset {
  int64_t secs = 0;
  uint32_t nanosecs = 0;
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uidMappings;
  std::vector<IdMapping> gidMappings;
  std::vector<Device> devices;
  std::optional<cgroup::Resources> resources;
  std::string cgroupsPath;
  std::map<std::string, std::string> sysctl;
  std::vector<std::string> maskedPaths;
  std::vector<std::string> readonlyPaths;
  std::string rootfsPropagation;
  std::string mountLabel;  // SELinux; accepted for compatibility, not applied
  std::optional<seccomp::Spec> seccomp;
  std::optional<unsigned long> personality;       // the persona for personality(2)
  std::map<std::string, TimeOffset> timeOffsets;  // "monotonic" / "boottime"
};

struct Spec {
  std::string ociVersion;
  std::optional<Process> process;
  Root root;
  std::string hostname;
  std::string domainname;
  std::vector<Mount> mounts;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
  Linux linux;

  bool hasNamespace(NamespaceType type) const;
  const Namespace* findNamespace(NamespaceType type) const;
};

}  // namespace spacelet::sandbox::spec
