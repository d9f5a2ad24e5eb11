// Per-process settings that are one call each: hostname and domainname (UTS namespace),
// umask, personality(2), AppArmor's exec profile, and the parent-side ones that need host
// privileges: rlimits through prlimit(2) and oom_score_adj (lowering it needs
// CAP_SYS_RESOURCE in the initial user namespace, which the init may not have).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "sandbox/linux/step_error.h"
#include "sandbox/spec/config.h"
#include "spacelet/base/error.h"

namespace spacelet::sandbox::linux {

StepError setHostAndDomainName(const std::string& hostname, const std::string& domainname);
StepError setPersonality(std::optional<unsigned long> persona);
// Writes "exec <profile>" to /proc/self/attr/apparmor/exec (or attr/exec on older kernels).
StepError setAppArmorProfile(const std::string& profile);
// True when the host has AppArmor enabled (before clone).
bool appArmorEnabled();

// Parent side, on the container's process.
Result<void> applyRlimits(pid_t pid, const std::vector<spec::Rlimit>& rlimits);
Result<void> setOomScoreAdj(pid_t pid, int value);

}  // namespace spacelet::sandbox::linux
