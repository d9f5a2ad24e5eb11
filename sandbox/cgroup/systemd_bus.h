// The few systemd D-Bus calls the systemd driver makes, over sd-bus: start a transient
// unit and wait for its job, set properties on it, stop it and wait. Each call connects,
// does its work and disconnects (the runtime is a short-lived process).
#pragma once

#include <string>
#include <vector>

#include "spacelet/base/error.h"
#include "systemd_unit.h"

namespace spacelet::sandbox::cgroup {

// StartTransientUnit(unit, "fail", properties) and wait until its job is removed.
Result<void> startTransientUnit(const std::string& unit,
                                const std::vector<UnitProperty>& properties, int timeoutMs);
// SetUnitProperties(unit, runtime=true, properties).
Result<void> setUnitProperties(const std::string& unit,
                               const std::vector<UnitProperty>& properties);
// StopUnit(unit, "fail") and wait for the job; a unit that is already gone is success.
Result<void> stopUnit(const std::string& unit, int timeoutMs);

}  // namespace spacelet::sandbox::cgroup
