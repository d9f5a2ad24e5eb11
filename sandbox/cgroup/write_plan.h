// The output of cgroup planning: an ordered list of (file, value) writes, and the thin step
// that performs them. Planning is pure (v2_plan.h, v1_plan.h); only applyWrites touches files.
#pragma once

#include <string>
#include <vector>

#include "spacelet/base/error.h"

namespace spacelet::sandbox::cgroup {

// The pseudo-hierarchy of v1 plans whose writes go to the v2 mount of a hybrid host.
inline constexpr char kUnifiedHierarchy[] = "unified";

struct Write {
  std::string hierarchy;  // v1: the controller whose directory holds `file`; v2: empty
  std::string file;       // a file name inside the cgroup directory (never a path)
  std::string value;
  std::string field;  // the spec field it comes from, for errors ("linux.resources.memory.limit")

  bool operator==(const Write&) const = default;
};

// Writes each value to its file below `dirfd`, in order, stopping at the first failure.
// The error names the file, the value and the spec field.
Result<void> applyWrites(int dirfd, const std::vector<Write>& writes);

}  // namespace spacelet::sandbox::cgroup
