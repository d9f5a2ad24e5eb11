// Where the cgroups of Spaces and build containers go, decided once when the agent starts
// (docs/operations.md, "cgroups"). systemd driver: one transient scope per container in the
// configured slice (runc's "slice:prefix:name", spacelet-run --systemd-cgroup); the agent's own
// service cgroup never gets children, so systemd can restart the agent while Spaces run.
// fs driver: cgroups below the agent's own; on cgroup v2 the agent first moves every process
// of its cgroup into <own>/agent, as cgroup v2 hands controllers only to the children of a
// cgroup without processes. Under systemd it does so only in a unit with Delegate=yes, and
// writes no cgroup above <unit> (systemd owns those); without systemd, in any cgroup but the
// root.
#pragma once

#include <string>
#include <vector>

#include "agent/config/config.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::daemon {

struct CgroupPlacement {
  bool systemd = false;  // the systemd driver
  // fs: the cgroup (absolute path in the hierarchy) below which containers go;
  // systemd: the slice their scopes go in.
  std::string parent;
  std::vector<std::string> runtimeArgs;  // spacelet-run's global options ("--systemd-cgroup")

  // The OCI cgroupsPath of container `name` of a kind ("spacelet-spaces", "spacelet-builds"):
  // fs "<parent>/<kind>/<name>"; systemd "<slice>:<kind>:<name>", the unit <kind>-<name>.scope.
  std::string cgroupsPath(const std::string& kind, const std::string& name) const;
};

// What the placement is decided from, read from the running system by readCgroupFacts().
struct CgroupFacts {
  bool unified = false;          // cgroup v2 alone (no v1 controller hierarchies)
  bool systemdBooted = false;    // systemd is PID 1 (/run/systemd/system exists)
  std::string ownCgroup;         // the agent's cgroup (v2 path; v1: the memory hierarchy's)
  bool ownDelegated = false;     // ownCgroup is a systemd unit's with Delegate=yes
  bool parentDelegated = false;  // its parent is (the agent already runs in its leaf)
};

// The fs driver's plan. Pure.
struct FsPlan {
  std::string leaf;    // non-empty: move every process of `parent` into this cgroup first,
                       // then enable parent's controllers for its children
  std::string parent;  // the cgroup below which containers go
};
FsPlan planFs(const CgroupFacts& facts);

// cgroup_driver "systemd", "fs", or "auto": systemd where its driver works (systemd is PID 1
// on a pure cgroup v2 hierarchy), fs elsewhere. Pure; an impossible "systemd" is an error.
Result<bool> chooseSystemdDriver(const std::string& driver, const CgroupFacts& facts);

// The facts of the running system: statfs of cgroupRoot, /run/systemd/system, the
// trusted.delegate / user.delegate attributes systemd puts on delegated cgroups.
CgroupFacts readCgroupFacts(const std::string& cgroupRoot, const std::string& procSelfCgroup);

// Applies an fs plan with a leaf below cgroupRoot (a real cgroupfs, or a temp dir in tests):
// creates the leaf, moves every process listed in parent's cgroup.procs into it, and enables
// in parent's cgroup.subtree_control every controller of its cgroup.controllers.
Result<void> enterLeaf(const std::string& cgroupRoot, const FsPlan& plan);

// Decides the placement and, for the fs driver under Delegate=yes, enters the leaf. Call it
// before the agent starts any process (they inherit its cgroup).
Result<CgroupPlacement> placeCgroups(const std::string& cgroupRoot,
                                     const config::Cgroups& settings);

}  // namespace spacelet::agent::daemon
