// Pure planning for cgroup v2: Resources -> the ordered file writes of one cgroup directory.
// The driver gathers a V2Context from the real directory; tests build one by hand or from a
// temp dir that plays cgroupfs.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cgroup.h"
#include "unified_keys.h"
#include "write_plan.h"

namespace spacelet::sandbox::cgroup {

struct V2Context {
  std::set<std::string> controllers;      // the cgroup's cgroup.controllers
  FileStateFn fileState;                  // which interface files exist, and are writable
  std::optional<uint64_t> memoryCurrent;  // memory.current, read when checkBeforeUpdate is set
};

// The writes for `resources` (device rules excepted: those become a BPF program). Unified
// keys come last, so they override the typed fields, as runc documents.
Result<std::vector<Write>> planV2(const Resources& resources, const V2Context& context);

// Controllers the resources need enabled (for cgroup.subtree_control and clear errors).
std::set<std::string> neededControllersV2(const Resources& resources);

}  // namespace spacelet::sandbox::cgroup
