// parseResources: linux.resources JSON -> Resources, validating types and ranges. Every
// error names the JSON path of the offending field and says what would be accepted.
// Unknown keys are ignored, as the runtime spec asks; known keys spacelet cannot enforce
// are refused, because silently dropping a limit is worse than failing.
#include <nlohmann/json.hpp>

#include "cgroup.h"
#include "conversions.h"

namespace spacelet::sandbox::cgroup {
namespace {

using nlohmann::json;

std::string quoted(const json& value) {
  std::string text = "'";
  text.append(value.dump()).append("'");
  return text;
}

// The member `key` of object `j`, or null when absent (absent and null both mean "unset").
const json& member(const json& j, const char* key) {
  static const json kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

Result<std::optional<int64_t>> getInt(const json& j, const char* key, const std::string& path) {
  const json& v = member(j, key);
  if (v.is_null()) return std::optional<int64_t>();
  if (v.is_number_integer() && !(v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX)) {
    return std::optional<int64_t>(v.get<int64_t>());
  }
  return failInvalid(path + "." + key + ": expected an integer, got " + quoted(v));
}

Result<std::optional<uint64_t>> getUint(const json& j, const char* key, const std::string& path) {
  const json& v = member(j, key);
  if (v.is_null()) return std::optional<uint64_t>();
  if (v.is_number_unsigned()) return std::optional<uint64_t>(v.get<uint64_t>());
  return failInvalid(path + "." + key + ": expected a non-negative integer, got " + quoted(v));
}

Result<std::optional<bool>> getBool(const json& j, const char* key, const std::string& path) {
  const json& v = member(j, key);
  if (v.is_null()) return std::optional<bool>();
  if (v.is_boolean()) return std::optional<bool>(v.get<bool>());
  return failInvalid(path + "." + key + ": expected true or false, got " + quoted(v));
}

Result<std::optional<std::string>> getString(const json& j, const char* key,
                                             const std::string& path) {
  const json& v = member(j, key);
  if (v.is_null()) return std::optional<std::string>();
  if (v.is_string()) return std::optional<std::string>(v.get<std::string>());
  return failInvalid(path + "." + key + ": expected a string, got " + quoted(v));
}

Result<void> requireObject(const json& j, const std::string& path) {
  if (j.is_object()) return {};
  return failInvalid(path + ": expected an object, got " + quoted(j));
}

// A byte count: -1 for unlimited or a positive number; 0 means unset (runc's meaning).
Result<std::optional<int64_t>> getBytes(const json& j, const char* key, const std::string& path) {
  auto v = getInt(j, key, path);
  SPACELET_TRY(v);
  if (!*v || **v == 0) return std::optional<int64_t>();
  if (**v < -1) {
    return failInvalid(path + "." + key + ": '" + std::to_string(**v) +
                       "' is not a byte count; use a positive number, or -1 for unlimited");
  }
  return *v;
}

Result<Memory> parseMemory(const json& j, const std::string& path) {
  SPACELET_TRY(requireObject(j, path));
  Memory m;
  auto limit = getBytes(j, "limit", path);
  SPACELET_TRY(limit);
  m.limit = *limit;
  auto reservation = getBytes(j, "reservation", path);
  SPACELET_TRY(reservation);
  m.reservation = *reservation;
  auto swap = getBytes(j, "swap", path);
  SPACELET_TRY(swap);
  m.swap = *swap;
  // kernel and kernelTCP are accepted and ignored, as runc does: Linux deprecated kmem
  // limits in 5.4 and no longer enforces them.
  return m;
}

Result<void> parseMemoryFlags(const json& j, const std::string& path, Memory& m) {
  auto swappiness = getUint(j, "swappiness", path);
  SPACELET_TRY(swappiness);
  if (*swappiness && **swappiness > 100) {
    return failInvalid(path + ".swappiness: '" + std::to_string(**swappiness) +
                       "' is out of range; use 0 to 100");
  }
  m.swappiness = *swappiness;
  auto disableOom = getBool(j, "disableOOMKiller", path);
  SPACELET_TRY(disableOom);
  m.disableOomKiller = *disableOom;
  auto useHierarchy = getBool(j, "useHierarchy", path);
  SPACELET_TRY(useHierarchy);
  m.useHierarchy = *useHierarchy;
  auto check = getBool(j, "checkBeforeUpdate", path);
  SPACELET_TRY(check);
  m.checkBeforeUpdate = *check;
  return {};
}

Result<void> checkRange(std::optional<uint64_t> v, uint64_t lo, uint64_t hi,
                        const std::string& field) {
  if (!v || *v == 0 || (*v >= lo && *v <= hi)) return {};
  return failInvalid(field + ": '" + std::to_string(*v) + "' is out of range; use " +
                     std::to_string(lo) + " to " + std::to_string(hi));
}

Result<void> parseCpuTime(const json& j, const std::string& path, Cpu& c) {
  auto quota = getInt(j, "quota", path);
  SPACELET_TRY(quota);
  if (*quota && **quota != 0 && **quota != -1 && **quota < 1000) {
    return failInvalid(path + ".quota: '" + std::to_string(**quota) +
                       "' is below the kernel's minimum of 1000 microseconds; use >= 1000, or "
                       "-1 for no quota");
  }
  if (*quota && **quota != 0) c.quota = *quota;
  auto period = getUint(j, "period", path);
  SPACELET_TRY(period);
  SPACELET_TRY(checkRange(*period, 1000, 1000000, path + ".period"));
  if (*period && **period != 0) c.period = *period;
  auto burst = getUint(j, "burst", path);
  SPACELET_TRY(burst);
  c.burst = *burst;
  auto rtRuntime = getInt(j, "realtimeRuntime", path);
  SPACELET_TRY(rtRuntime);
  if (*rtRuntime && **rtRuntime != 0) c.realtimeRuntime = *rtRuntime;
  auto rtPeriod = getUint(j, "realtimePeriod", path);
  SPACELET_TRY(rtPeriod);
  if (*rtPeriod && **rtPeriod != 0) c.realtimePeriod = *rtPeriod;
  return {};
}

Result<std::optional<std::string>> getCpuList(const json& j, const char* key,
                                              const std::string& path) {
  auto list = getString(j, key, path);
  SPACELET_TRY(list);
  if (!*list || (*list)->empty()) return std::optional<std::string>();
  if (!isCpuList(**list)) {
    return failInvalid(path + "." + key + ": '" + **list +
                       "' is not a list like '0-3,5' (numbers and ascending ranges, no spaces)");
  }
  return *list;
}

Result<Cpu> parseCpu(const json& j, const std::string& path) {
  SPACELET_TRY(requireObject(j, path));
  Cpu c;
  auto shares = getUint(j, "shares", path);
  SPACELET_TRY(shares);
  SPACELET_TRY(checkRange(*shares, kMinCpuShares, kMaxCpuShares, path + ".shares"));
  if (*shares && **shares != 0) c.shares = *shares;
  SPACELET_TRY(parseCpuTime(j, path, c));
  auto cpus = getCpuList(j, "cpus", path);
  SPACELET_TRY(cpus);
  c.cpus = *cpus;
  auto mems = getCpuList(j, "mems", path);
  SPACELET_TRY(mems);
  c.mems = *mems;
  auto idle = getInt(j, "idle", path);
  SPACELET_TRY(idle);
  if (*idle && **idle != 0 && **idle != 1) {
    return failInvalid(path + ".idle: '" + std::to_string(**idle) + "' must be 0 or 1");
  }
  c.idle = *idle;
  return c;
}

Result<int64_t> deviceNumber(const json& j, const char* key, const std::string& path) {
  auto n = getInt(j, key, path);
  SPACELET_TRY(n);
  if (!*n) return int64_t{-1};
  if (**n < -1 || **n > 0xfffff) {
    return failInvalid(path + "." + key + ": '" + std::to_string(**n) +
                       "' is not a device number; omit it or use -1 for any");
  }
  return **n;
}

Result<void> parseDeviceAccess(const json& j, const std::string& path, DeviceRule& rule) {
  auto access = getString(j, "access", path);
  SPACELET_TRY(access);
  rule.access = access->value_or("rwm");
  if (rule.access.empty()) rule.access = "rwm";
  for (char c : rule.access) {
    if ((c != 'r' && c != 'w' && c != 'm') || rule.access.find(c) != rule.access.rfind(c)) {
      return failInvalid(path + ".access: '" + rule.access +
                         "' must be made of the letters r, w and m, each at most once");
    }
  }
  return {};
}

Result<DeviceRule> parseDevice(const json& j, const std::string& path) {
  SPACELET_TRY(requireObject(j, path));
  DeviceRule rule;
  auto allow = getBool(j, "allow", path);
  SPACELET_TRY(allow);
  if (!*allow) return failInvalid(path + ".allow: required (true or false)");
  rule.allow = **allow;
  auto type = getString(j, "type", path);
  SPACELET_TRY(type);
  std::string t = type->value_or("a");
  if (t != "a" && t != "b" && t != "c") {
    return failInvalid(path + ".type: '" + t + "' must be 'a' (all), 'b' (block) or 'c' (char)");
  }
  rule.type = t[0];
  auto major = deviceNumber(j, "major", path);
  SPACELET_TRY(major);
  rule.major = *major;
  auto minor = deviceNumber(j, "minor", path);
  SPACELET_TRY(minor);
  rule.minor = *minor;
  SPACELET_TRY(parseDeviceAccess(j, path, rule));
  return rule;
}

Result<void> parseDevices(const json& j, const std::string& path, Resources& r) {
  if (j.is_null()) return {};
  if (!j.is_array()) return failInvalid(path + ": expected an array, got " + quoted(j));
  for (size_t i = 0; i < j.size(); ++i) {
    auto rule = parseDevice(j[i], path + "[" + std::to_string(i) + "]");
    SPACELET_TRY(rule);
    r.devices.push_back(*rule);
  }
  return {};
}

Result<void> parsePids(const json& j, const std::string& path, Resources& r) {
  if (j.is_null()) return {};
  SPACELET_TRY(requireObject(j, path));
  auto limit = getInt(j, "limit", path);
  SPACELET_TRY(limit);
  // runc's meaning: 0 leaves the limit alone, any negative value is "max".
  if (*limit && **limit != 0) r.pidsLimit = **limit < 0 ? -1 : **limit;
  return {};
}

Result<void> parseHugepages(const json& j, const std::string& path, Resources& r) {
  if (j.is_null()) return {};
  if (!j.is_array()) return failInvalid(path + ": expected an array, got " + quoted(j));
  for (size_t i = 0; i < j.size(); ++i) {
    std::string item = path + "[" + std::to_string(i) + "]";
    SPACELET_TRY(requireObject(j[i], item));
    auto size = getString(j[i], "pageSize", item);
    SPACELET_TRY(size);
    if (!*size || (*size)->empty()) return failInvalid(item + ".pageSize: required, e.g. '2MB'");
    auto limit = getUint(j[i], "limit", item);
    SPACELET_TRY(limit);
    if (!*limit) return failInvalid(item + ".limit: required (bytes)");
    r.hugepageLimits.emplace_back(**size, **limit);
  }
  return {};
}

Result<void> parseUnified(const json& j, const std::string& path, Resources& r) {
  if (j.is_null()) return {};
  SPACELET_TRY(requireObject(j, path));
  for (const auto& [key, value] : j.items()) {
    if (!value.is_string()) {
      return failInvalid(path + "['" + key + "']: expected a string, got " + quoted(value));
    }
    r.unified[key] = value.get<std::string>();
  }
  return {};
}

Result<void> parseBlockIo(const json& j, const std::string& path, Resources& r) {
  if (j.is_null()) return {};
  SPACELET_TRY(requireObject(j, path));
  auto weight = getUint(j, "weight", path);
  SPACELET_TRY(weight);
  SPACELET_TRY(checkRange(*weight, 10, 1000, path + ".weight"));
  if (*weight && **weight != 0) r.blockIoWeight = static_cast<uint16_t>(**weight);
  for (const char* key :
       {"leafWeight", "weightDevice", "throttleReadBpsDevice", "throttleWriteBpsDevice",
        "throttleReadIOPSDevice", "throttleWriteIOPSDevice"}) {
    const json& v = member(j, key);
    if (v.is_null() || (v.is_array() && v.empty()) || (v.is_number() && v.get<double>() == 0)) {
      continue;
    }
    return failInvalid(path + "." + key +
                       ": not supported by spacelet-run; remove it (only blockIO.weight is)");
  }
  return {};
}

// Fields of linux.resources that map to no controller spacelet drives.
Result<void> refuseUnsupported(const json& j, const std::string& path) {
  for (const char* key : {"network", "rdma"}) {
    const json& v = member(j, key);
    if (v.is_null() || v.empty()) continue;
    return failInvalid(path + "." + key + ": not supported by spacelet-run (net_cls/net_prio " +
                       "and rdma are not managed); remove it");
  }
  return {};
}

}  // namespace

Result<Resources> parseResources(const json& j, const std::string& path) {
  Resources r;
  if (j.is_null()) return r;
  SPACELET_TRY(requireObject(j, path));
  if (const json& m = member(j, "memory"); !m.is_null()) {
    auto memory = parseMemory(m, path + ".memory");
    SPACELET_TRY(memory);
    SPACELET_TRY(parseMemoryFlags(m, path + ".memory", *memory));
    r.memory = *memory;
  }
  if (const json& c = member(j, "cpu"); !c.is_null()) {
    auto cpu = parseCpu(c, path + ".cpu");
    SPACELET_TRY(cpu);
    r.cpu = *cpu;
  }
  SPACELET_TRY(parsePids(member(j, "pids"), path + ".pids", r));
  SPACELET_TRY(parseDevices(member(j, "devices"), path + ".devices", r));
  SPACELET_TRY(parseHugepages(member(j, "hugepageLimits"), path + ".hugepageLimits", r));
  SPACELET_TRY(parseUnified(member(j, "unified"), path + ".unified", r));
  SPACELET_TRY(parseBlockIo(member(j, "blockIO"), path + ".blockIO", r));
  SPACELET_TRY(refuseUnsupported(j, path));
  return r;
}

std::vector<DeviceRule> defaultAllowedDevices() {
  return {
      {true, 'c', -1, -1, "m"},     // mknod of any char device (access still needs a rule)
      {true, 'b', -1, -1, "m"},     // mknod of any block device
      {true, 'c', 1, 3, "rwm"},     // /dev/null
      {true, 'c', 1, 5, "rwm"},     // /dev/zero
      {true, 'c', 1, 7, "rwm"},     // /dev/full
      {true, 'c', 1, 8, "rwm"},     // /dev/random
      {true, 'c', 1, 9, "rwm"},     // /dev/urandom
      {true, 'c', 5, 0, "rwm"},     // /dev/tty
      {true, 'c', 5, 1, "rwm"},     // /dev/console
      {true, 'c', 5, 2, "rwm"},     // /dev/ptmx
      {true, 'c', 136, -1, "rwm"},  // /dev/pts/*
  };
}

}  // namespace spacelet::sandbox::cgroup
