// Pure planning for the systemd driver: runc's "slice:prefix:name" cgroupsPath -> a
// transient scope and its cgroup path, and Resources -> the scope's unit properties.
// Properties are what systemd re-applies after `systemctl daemon-reload`, so every limit
// that has one goes there.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "cgroup.h"

namespace spacelet::sandbox::cgroup {

struct ScopeName {
  std::string slice;       // "spacelet.slice"
  std::string unit;        // "spacelet-web.scope"
  std::string cgroupPath;  // "/spacelet.slice/spacelet-web.scope"
};

// cgroupsPath "slice:prefix:name" (empty: "<defaultSlice>:spacelet:<id>"; an empty slice
// means the default slice).
Result<ScopeName> parseScopeName(const std::string& cgroupsPath, const std::string& containerId,
                                 const std::string& defaultSlice);

// "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "" (the root slice).
Result<std::string> expandSlice(const std::string& slice);

// A D-Bus property value: b, t, s, au, ay or a(ss).
using PropertyValue =
    std::variant<bool, uint64_t, std::string, std::vector<uint32_t>, std::vector<uint8_t>,
                 std::vector<std::pair<std::string, std::string>>>;
struct UnitProperty {
  std::string name;
  PropertyValue value;
  bool operator==(const UnitProperty&) const = default;
};

// /proc/devices: (type 'c'/'b', major) -> group name ("pts"), for DeviceAllow=char-<name>.
using DeviceGroups = std::map<std::pair<char, int64_t>, std::string>;
DeviceGroups parseProcDevices(const std::string& text);

struct ScopePlan {
  std::vector<UnitProperty> properties;
};

// The limits as scope properties, which systemd keeps and re-applies. Device rules become
// DevicePolicy=strict + DeviceAllow= when they are "deny all, then allow ..." and every
// allowed device can be named; otherwise systemd gets no device policy. The driver also
// writes every limit and the device program into the payload leaf below the scope, so the
// container sees its limits in its own cgroup and spacelet's program decides devices exactly
// (systemd's, when present, only ever allows more).
Result<ScopePlan> planScope(const Resources& resources, const DeviceGroups& groups);

// The cpu list "0-2,5" as systemd's AllowedCPUs= byte mask.
std::vector<uint8_t> cpuListMask(const std::string& list);

}  // namespace spacelet::sandbox::cgroup
