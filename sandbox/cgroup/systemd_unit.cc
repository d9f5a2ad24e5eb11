// systemd scope planning (see systemd_unit.h).
#include "systemd_unit.h"

#include <cstdlib>
#include <limits>
#include <sstream>

#include "conversions.h"

namespace spacelet::sandbox::cgroup {
namespace {

constexpr uint64_t kInfinity = std::numeric_limits<uint64_t>::max();
constexpr uint64_t kDefaultPeriodUsec = 100000;

uint64_t bytesOrInfinity(int64_t value) {
  return value < 0 ? kInfinity : static_cast<uint64_t>(value);
}

bool validUnitChars(const std::string& s) {
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '@' || c == ':' || c == '\\';
    if (!ok) return false;
  }
  return !s.empty();
}

void planMemory(const Memory& m, ScopePlan& plan) {
  auto& props = plan.properties;
  if (m.limit) props.push_back({"MemoryMax", bytesOrInfinity(*m.limit)});
  if (m.reservation) props.push_back({"MemoryLow", bytesOrInfinity(*m.reservation)});
}

Result<void> planSwap(const Memory& m, ScopePlan& plan) {
  auto swapMax = swapMaxV2(m.limit, m.swap);
  SPACELET_TRY(swapMax);
  if (*swapMax) {
    uint64_t value = **swapMax == "max" ? kInfinity : std::stoull(**swapMax);
    plan.properties.push_back({"MemorySwapMax", value});
  }
  return {};
}

// CPUQuotaPerSecUSec is quota per second of wall time; systemd keeps it in whole percents
// of a CPU, so a value that is not a multiple of 10 ms is rounded up (as runc does), which
// never grants less than asked.
void planCpu(const Cpu& c, ScopePlan& plan) {
  auto& props = plan.properties;
  if (c.shares) props.push_back({"CPUWeight", cpuSharesToWeight(*c.shares)});
  uint64_t period = c.period.value_or(kDefaultPeriodUsec);
  if (c.quota) {
    uint64_t perSec = kInfinity;
    if (*c.quota > 0) {
      perSec = static_cast<uint64_t>(*c.quota) * 1000000 / period;
      if (perSec % 10000 != 0) perSec = (perSec / 10000 + 1) * 10000;
    }
    props.push_back({"CPUQuotaPerSecUSec", perSec});
  }
  if (c.period) props.push_back({"CPUQuotaPeriodUSec", period});
  if (c.cpus) props.push_back({"AllowedCPUs", cpuListMask(*c.cpus)});
  if (c.mems) props.push_back({"AllowedMemoryNodes", cpuListMask(*c.mems)});
}

// One allow rule as a DeviceAllow= entry, or nothing when systemd cannot name it.
std::optional<std::string> deviceSpecifier(const DeviceRule& r, const DeviceGroups& groups) {
  if (r.type == 'a') return std::nullopt;
  std::string kind = r.type == 'c' ? "char" : "block";
  if (r.major < 0) {
    if (r.minor >= 0) return std::nullopt;
    return kind + "-*";
  }
  if (r.minor >= 0) {
    return "/dev/" + kind + "/" + std::to_string(r.major) + ":" + std::to_string(r.minor);
  }
  auto group = groups.find({r.type, r.major});
  if (group == groups.end()) return std::nullopt;
  return kind + "-" + group->second;
}

void planDevices(const std::vector<DeviceRule>& rules, const DeviceGroups& groups,
                 ScopePlan& plan) {
  if (rules.empty()) return;
  const DeviceRule& first = rules.front();
  bool denyAllFirst = !first.allow && first.type == 'a' && first.major < 0 && first.minor < 0 &&
                      first.access.size() == 3;
  if (!denyAllFirst) return;
  std::vector<std::pair<std::string, std::string>> allow;
  for (size_t i = 1; i < rules.size(); ++i) {
    if (!rules[i].allow) return;
    auto spec = deviceSpecifier(rules[i], groups);
    if (!spec) return;
    allow.emplace_back(*spec, rules[i].access);
  }
  plan.properties.push_back({"DevicePolicy", std::string("strict")});
  plan.properties.push_back({"DeviceAllow", allow});
}

// Unified keys systemd also manages: as properties, or its next re-apply (daemon-reload)
// would put its own values back. Others only go to the payload leaf.
void planUnified(const std::map<std::string, std::string>& unified, ScopePlan& plan) {
  static const std::map<std::string, std::string> kProperty = {
      {"memory.min", "MemoryMin"},          {"memory.low", "MemoryLow"},
      {"memory.high", "MemoryHigh"},        {"memory.max", "MemoryMax"},
      {"memory.swap.max", "MemorySwapMax"}, {"pids.max", "TasksMax"},
      {"cpu.weight", "CPUWeight"}};
  for (const auto& [key, value] : unified) {
    auto property = kProperty.find(key);
    if (property == kProperty.end()) continue;
    char* end = nullptr;
    uint64_t number = std::strtoull(value.c_str(), &end, 10);
    bool numeric = !value.empty() && *end == '\0' && value[0] != '-';
    if (value != "max" && !numeric) continue;  // left for the kernel to judge, directly
    plan.properties.push_back({property->second, value == "max" ? kInfinity : number});
  }
}

}  // namespace

Result<std::string> expandSlice(const std::string& slice) {
  const std::string suffix = ".slice";
  if (slice == "-.slice") return std::string();
  bool shaped = slice.size() > suffix.size() &&
                slice.compare(slice.size() - suffix.size(), suffix.size(), suffix) == 0 &&
                slice.find('/') == std::string::npos;
  std::string stem = shaped ? slice.substr(0, slice.size() - suffix.size()) : "";
  if (!shaped || stem.front() == '-' || stem.back() == '-' ||
      stem.find("--") != std::string::npos || !validUnitChars(stem)) {
    return failInvalid("'" + slice + "' is not a systemd slice name; use one like " +
                       "'spacelet.slice' or 'machine-spaces.slice'");
  }
  std::string path;
  for (size_t dash = stem.find('-'); dash != std::string::npos; dash = stem.find('-', dash + 1)) {
    path.append("/").append(stem, 0, dash).append(suffix);
  }
  return path + "/" + slice;
}

Result<ScopeName> parseScopeName(const std::string& cgroupsPath, const std::string& containerId,
                                 const std::string& defaultSlice) {
  std::string spec = cgroupsPath.empty() ? ":spacelet:" + containerId : cgroupsPath;
  size_t first = spec.find(':');
  size_t second = first == std::string::npos ? first : spec.find(':', first + 1);
  if (second == std::string::npos || spec.find(':', second + 1) != std::string::npos) {
    return failInvalid("linux.cgroupsPath: '" + cgroupsPath + "' is not of the form " +
                       "'slice:prefix:name' that --systemd-cgroup expects (e.g. " +
                       "'spacelet.slice:spacelet:web')");
  }
  std::string slice = spec.substr(0, first);
  std::string prefix = spec.substr(first + 1, second - first - 1);
  std::string name = spec.substr(second + 1);
  if (slice.empty()) slice = defaultSlice;
  auto slicePath = expandSlice(slice);
  SPACELET_TRY_CONTEXT(slicePath, "linux.cgroupsPath");
  std::string unit = prefix.empty() ? name : prefix + "-" + name;
  if (name.empty() || !validUnitChars(unit) || unit.find(".slice") != std::string::npos) {
    return failInvalid("linux.cgroupsPath: '" + cgroupsPath + "': the name part must be a " +
                       "plain unit name (letters, digits, '-', '_', '.'); spacelet-run makes " +
                       "scopes, not slices");
  }
  unit += ".scope";
  return ScopeName{slice, unit, *slicePath + "/" + unit};
}

DeviceGroups parseProcDevices(const std::string& text) {
  DeviceGroups groups;
  std::istringstream in(text);
  std::string line;
  char type = 0;
  while (std::getline(in, line)) {
    if (line == "Character devices:") type = 'c';
    if (line == "Block devices:") type = 'b';
    std::istringstream fields(line);
    int64_t major;
    std::string name;
    if (type && fields >> major >> name) groups[{type, major}] = name;
  }
  return groups;
}

std::vector<uint8_t> cpuListMask(const std::string& list) {
  std::vector<uint8_t> mask;
  std::istringstream in(list);
  std::string range;
  while (std::getline(in, range, ',')) {
    size_t dash = range.find('-');
    unsigned long first = std::strtoul(range.c_str(), nullptr, 10);
    unsigned long last =
        dash == std::string::npos ? first : std::strtoul(range.c_str() + dash + 1, nullptr, 10);
    for (unsigned long cpu = first; cpu <= last; ++cpu) {
      if (mask.size() <= cpu / 8) mask.resize(cpu / 8 + 1, 0);
      mask[cpu / 8] |= static_cast<uint8_t>(1u << (cpu % 8));
    }
  }
  return mask;
}

Result<ScopePlan> planScope(const Resources& resources, const DeviceGroups& groups) {
  ScopePlan plan;
  if (resources.memory) {
    planMemory(*resources.memory, plan);
    SPACELET_TRY(planSwap(*resources.memory, plan));
  }
  if (resources.cpu) planCpu(*resources.cpu, plan);
  if (resources.pidsLimit) {
    plan.properties.push_back({"TasksMax", bytesOrInfinity(*resources.pidsLimit)});
  }
  if (resources.blockIoWeight) {
    plan.properties.push_back({"IOWeight", blkioWeightToIoWeight(*resources.blockIoWeight)});
  }
  planDevices(resources.devices, groups, plan);
  planUnified(resources.unified, plan);
  return plan;
}

}  // namespace spacelet::sandbox::cgroup
