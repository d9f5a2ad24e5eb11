// Pure planning for the systemd driver: runc's "slice:prefix:name" cgroupsPath -> a
// transient scope and its cgroup path, and Resources -> the scope's unit properties plus
// what is left to write into the delegated cgroup directly. Properties are what systemd
// re-applies after `systemctl daemon-reload`, so every limit that has one goes there.
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
  Resources rest;  // written to the scope's cgroup by the fs driver (devices: the BPF program)
};

// The limits as properties. Device rules become DevicePolicy=strict + DeviceAllow= when
// they are "deny all, then allow ..." and every allowed device can be named; otherwise
// systemd gets no device policy. Either way the rules also stay in `rest`, for spacelet's own
// BPF program, which decides exactly; systemd's program (when present) only ever allows more.
Result<ScopePlan> planScope(const Resources& resources, const DeviceGroups& groups);

// The cpu list "0-2,5" as systemd's AllowedCPUs= byte mask.
std::vector<uint8_t> cpuListMask(const std::string& list);

}  // namespace spacelet::sandbox::cgroup
