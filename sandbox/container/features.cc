// `spacelet-run features`: what this runtime supports, as runtime-spec's features.md
// describes it, built from the same tables that parsing uses so it cannot drift.
#include "sandbox/container/container.h"
#include "sandbox/seccomp/names.h"
#include "sandbox/spec/names.h"

namespace spacelet::sandbox::container {
namespace {

spec::Json names(std::span<const seccomp::NamedValue> table) {
  spec::Json out = spec::Json::array();
  for (const auto& entry : table) out.push_back(std::string(entry.name));
  return out;
}

spec::Json mountOptions() {
  spec::Json out = spec::Json::array();
  for (const char* word :
       {"async",        "atime",         "bind",        "dev",         "diratime",     "dirsync",
        "exec",         "iversion",      "lazytime",    "loud",        "mand",         "noatime",
        "nodev",        "nodiratime",    "noexec",      "noiversion",  "nolazytime",   "nomand",
        "norelatime",   "nostrictatime", "nosuid",      "nosymfollow", "private",      "ratime",
        "rbind",        "rdev",          "rdiratime",   "relatime",    "rexec",        "rnoatime",
        "rnodev",       "rnodiratime",   "rnoexec",     "rnosuid",     "rnosymfollow", "ro",
        "rprivate",     "rrelatime",     "rro",         "rrw",         "rshared",      "rslave",
        "rstrictatime", "rsuid",         "rsymfollow",  "runbindable", "rw",           "shared",
        "silent",       "slave",         "strictatime", "suid",        "symfollow",    "sync",
        "unbindable"}) {
    out.push_back(word);
  }
  return out;
}

spec::Json linuxFeatures() {
  spec::Json ns = spec::Json::array();
  for (auto type : spec::allNamespaceTypes()) ns.push_back(std::string(spec::namespaceName(type)));
  return {
      {"namespaces", ns},
      {"capabilities", spec::allCapabilityNames()},
      {"cgroup",
       {{"v1", true}, {"v2", true}, {"systemd", true}, {"systemdUser", false}, {"rdma", false}}},
      {"seccomp",
       {{"enabled", true},
        {"actions", names(seccomp::actionNames())},
        {"operators", names(seccomp::operatorNames())},
        {"archs", names(seccomp::architectureNames())},
        {"knownFlags", names(seccomp::flagNames())},
        {"supportedFlags", names(seccomp::flagNames())}}},
      {"apparmor", {{"enabled", true}}},
      {"selinux", {{"enabled", false}}},
      {"intelRdt", {{"enabled", false}}},
      {"mountExtensions", {{"idmap", {{"enabled", false}}}}},
  };
}

}  // namespace

spec::Json features() {
  return {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", "1.1.0"},
      {"hooks",
       {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
      {"mountOptions", mountOptions()},
      {"linux", linuxFeatures()},
      {"annotations", {{"io.spacelet.run.version", "0.1.0"}}},
  };
}

}  // namespace spacelet::sandbox::container
