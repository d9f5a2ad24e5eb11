// The cgroup placement of Spaces and builds, and the agent's move into its leaf (see
// cgroup_placement.h).
#include "agent/daemon/cgroup_placement.h"

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <sstream>

#include "agent/build/builder.h"
#include "spacelet/base/file_io.h"
#include "spacelet/base/log.h"

namespace spacelet::agent::daemon {
namespace {

constexpr const char* kLeaf = "agent";

std::string parentOf(const std::string& cgroup) {
  size_t slash = cgroup.rfind('/');
  return slash == std::string::npos || slash == 0 ? "" : cgroup.substr(0, slash);
}

std::string baseName(const std::string& cgroup) {
  size_t slash = cgroup.rfind('/');
  return slash == std::string::npos ? cgroup : cgroup.substr(slash + 1);
}

// systemd marks the cgroups it delegates with trusted.delegate=1 (user.delegate=1 as well
// for user managers); see systemd's docs/CGROUP_DELEGATION.md.
bool delegated(const std::string& path) {
  for (const char* name : {"trusted.delegate", "user.delegate"}) {
    char value[8] = {};
    ssize_t n = ::getxattr(path.c_str(), name, value, sizeof value - 1);
    if (n == 1 && value[0] == '1') return true;
  }
  return false;
}

// "memory pids cpu" -> "+memory +pids +cpu".
std::string enableAll(const std::string& controllers) {
  std::istringstream words(controllers);
  std::string out;
  for (std::string c; words >> c;) out += (out.empty() ? "+" : " +") + c;
  return out;
}

}  // namespace

std::string CgroupPlacement::cgroupsPath(const std::string& kind, const std::string& name) const {
  if (systemd) return parent + ":" + kind + ":" + name;
  return (parent == "/" ? "" : parent) + "/" + kind + "/" + name;
}

FsPlan planFs(const CgroupFacts& facts) {
  // Under systemd only a delegated cgroup is the agent's to divide; without systemd (a node
  // with another init, a container, the VM harness) its own cgroup is, except the root.
  bool mine = facts.ownDelegated ||
              (!facts.systemdBooted && facts.ownCgroup != "/" && !facts.ownCgroup.empty());
  bool parentMine = facts.parentDelegated || !facts.systemdBooted;
  if (facts.unified && baseName(facts.ownCgroup) == kLeaf && parentMine &&
      !parentOf(facts.ownCgroup).empty()) {
    return {"", parentOf(facts.ownCgroup)};  // already in its leaf (started there again)
  }
  if (facts.unified && mine) return {facts.ownCgroup + "/" + kLeaf, facts.ownCgroup};
  return {"", facts.ownCgroup};
}

Result<bool> chooseSystemdDriver(const std::string& driver, const CgroupFacts& facts) {
  bool possible = facts.systemdBooted && facts.unified;
  if (driver == "fs") return false;
  if (driver == "auto") return possible;
  if (driver == "systemd" && !possible) {
    return failInvalid(
        "cgroup_driver 'systemd' needs systemd as PID 1 on a pure cgroup v2 hierarchy; this "
        "node has " +
        std::string(facts.systemdBooted ? "systemd" : "no systemd") + " and " +
        (facts.unified ? "cgroup v2" : "cgroup v1 controllers") +
        ": set cgroup_driver to 'fs' or 'auto'");
  }
  if (driver == "systemd") return true;
  return failInvalid("cgroup_driver '" + driver + "' is not one of auto, fs, systemd");
}

CgroupFacts readCgroupFacts(const std::string& cgroupRoot, const std::string& procSelfCgroup) {
  CgroupFacts facts;
  struct statfs fs {};
  facts.unified = ::statfs(cgroupRoot.c_str(), &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
  struct stat st {};
  facts.systemdBooted = ::lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
  facts.ownCgroup = build::ownCgroup(procSelfCgroup);
  if (facts.unified && !facts.ownCgroup.empty()) {
    facts.ownDelegated = delegated(cgroupRoot + facts.ownCgroup);
    std::string parent = parentOf(facts.ownCgroup);
    facts.parentDelegated = !parent.empty() && delegated(cgroupRoot + parent);
  }
  return facts;
}

Result<void> enterLeaf(const std::string& cgroupRoot, const FsPlan& plan) {
  std::string parent = cgroupRoot + plan.parent;
  std::string leaf = cgroupRoot + plan.leaf;
  if (::mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST) {
    return failErrno(errno, "create the agent's cgroup '" + leaf + "'");
  }
  auto procs = readFileAt(AT_FDCWD, parent + "/cgroup.procs");
  if (!procs) return fail(std::move(procs).error());
  std::istringstream pids(*procs);
  for (std::string pid; pids >> pid;) {
    // A process that exited meanwhile is gone from the parent too (ESRCH): nothing to move.
    auto moved = writeFileAt(AT_FDCWD, leaf + "/cgroup.procs", pid);
    if (!moved && moved.error().code != ESRCH) {
      return fail(std::move(moved).error().withContext("move process " + pid));
    }
  }
  auto controllers = readFileAt(AT_FDCWD, parent + "/cgroup.controllers");
  if (!controllers) return fail(std::move(controllers).error());
  std::string enable = enableAll(*controllers);
  if (enable.empty()) return {};
  return writeFileAt(AT_FDCWD, parent + "/cgroup.subtree_control", enable);
}

Result<CgroupPlacement> placeCgroups(const std::string& cgroupRoot,
                                     const config::Cgroups& settings) {
  auto self = readFileAt(AT_FDCWD, "/proc/self/cgroup");
  if (!self) return fail(std::move(self).error());
  CgroupFacts facts = readCgroupFacts(cgroupRoot, *self);
  auto systemd = chooseSystemdDriver(settings.driver, facts);
  if (!systemd) return fail(std::move(systemd).error());
  if (*systemd) {
    log::info("cgroups: systemd driver, a transient scope per container in " + settings.slice);
    return CgroupPlacement{true, settings.slice, {"--systemd-cgroup"}};
  }
  FsPlan plan = planFs(facts);
  if (!plan.leaf.empty()) {
    SPACELET_TRY_CONTEXT(enterLeaf(cgroupRoot, plan), "enter the agent's leaf cgroup");
    if (facts.systemdBooted) {
      log::warning("cgroups: fs driver in the delegated cgroup '" + plan.parent +
                   "' (the agent runs in '" + plan.leaf +
                   "'); systemd before v254 cannot restart spaceletd while Spaces run below "
                   "it: cgroup_driver 'auto' or 'systemd' avoids that");
    }
  }
  log::info("cgroups: fs driver below '" + plan.parent + "'");
  return CgroupPlacement{false, plan.parent, {}};
}

}  // namespace spacelet::agent::daemon
