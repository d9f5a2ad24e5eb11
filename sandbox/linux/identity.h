// Switching the container process to its user: supplementary groups, gid, uid (setgroups,
// setresgid, setresuid). Runs after the bounding set is dropped and before capset.
#pragma once

#include <sys/types.h>

#include <vector>

#include "sandbox/linux/step_error.h"

namespace spacelet::sandbox::linux {

struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additionalGids;
  // setgroups(2) is refused in a user namespace whose /proc/<pid>/setgroups is "deny"
  // (joined namespaces made by others); then supplementary groups are left alone.
  bool setgroupsAllowed = true;
};

StepError switchIdentity(const Identity& identity);

}  // namespace spacelet::sandbox::linux
