// Enabling cgroup v2 controllers for a new cgroup: every ancestor from the hierarchy root
// down to its parent must list them in cgroup.subtree_control. spacelet writes that file only
// inside the caller's own subtree (or in directories it just created); above it, it only
// checks, so a delegated service never edits cgroups its manager owns.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "spacelet/base/error.h"

namespace spacelet::sandbox::cgroup {

// One ancestor as read from cgroupfs.
struct LevelState {
  std::string path;                 // "/a/b"
  std::set<std::string> available;  // its cgroup.controllers
  std::set<std::string> enabled;    // its cgroup.subtree_control
  bool writable = false;            // inside the caller's subtree, or created by us
};

// What to do at one level: the cgroup.subtree_control write ("+cpu +memory"), if any.
struct EnableStep {
  std::string write;
};

// Pure: `needed` controllers must be enabled; at writable levels also the rest of `wanted`
// that is available (v2 enables everything, for stats; hybrid only what it needs).
Result<EnableStep> planLevel(const LevelState& level, const std::set<std::string>& needed,
                             const std::set<std::string>& wanted);

// Walks from the root to the parent of `cgroupPath`, reading each level and applying its
// step. `own` is the caller's cgroup; `created` the directories this call made. If a write
// fails with EBUSY (the level holds processes: the no-internal-process rule) the level is
// acceptable as long as the needed controllers are already enabled.
// `wantAll`: enable every available controller at writable levels (else only `needed`).
Result<void> enableControllers(int rootFd, const std::string& cgroupPath, const std::string& own,
                               const std::vector<std::string>& created,
                               const std::set<std::string>& needed, bool wantAll);

// The controllers listed in a cgroup.controllers / cgroup.subtree_control text.
std::set<std::string> parseControllerList(const std::string& text);

}  // namespace spacelet::sandbox::cgroup
