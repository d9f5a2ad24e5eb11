// config.json `linux`: namespaces and id mappings, devices, cgroup resources (parsed by the
// cgroup module), sysctl, masked and read-only paths, propagation, seccomp (parsed by the
// seccomp module), personality and time offsets.
#include <algorithm>

#include "sandbox/spec/names.h"
#include "sandbox/spec/parse.h"

namespace spacelet::sandbox::spec {
namespace {

Result<Namespace> parseNamespace(const Json& j, const std::string& path) {
  SPACELET_TRY(requireObject(j, path));
  std::string type;
  if (member(j, "type") == nullptr) return failInvalid(path + ".type: missing (e.g. \"pid\")");
  SPACELET_TRY(readField(j, "type", path, asString, type));
  auto parsed = namespaceFromName(type);
  if (!parsed) {
    return failInvalid(fieldPath(path, "type") + ": unknown namespace type '" + type +
                       "' (expected one of pid, network, mount, ipc, uts, user, cgroup, time)");
  }
  Namespace ns{*parsed, ""};
  SPACELET_TRY(readField(j, "path", path, asString, ns.path));
  return ns;
}

Result<std::vector<Namespace>> parseNamespaces(const Json& j, const std::string& path) {
  SPACELET_TRY(requireArray(j, path));
  std::vector<Namespace> out;
  for (size_t i = 0; i < j.size(); ++i) {
    auto ns = parseNamespace(j[i], indexPath(path, i));
    if (!ns) return fail(std::move(ns).error());
    bool duplicate =
        std::any_of(out.begin(), out.end(), [&](const Namespace& n) { return n.type == ns->type; });
    if (duplicate) {
      return failInvalid(indexPath(path, i) + ": namespace type '" +
                         std::string(namespaceName(ns->type)) + "' is listed twice; keep one");
    }
    out.push_back(std::move(*ns));
  }
  return out;
}

Result<IdMapping> parseIdMapping(const Json& j, const std::string& path) {
  SPACELET_TRY(requireObject(j, path));
  IdMapping m;
  for (const char* key : {"containerID", "hostID", "size"}) {
    if (member(j, key) == nullptr) return failInvalid(fieldPath(path, key) + ": missing");
  }
  SPACELET_TRY(readField(j, "containerID", path, asUint32, m.containerId));
  SPACELET_TRY(readField(j, "hostID", path, asUint32, m.hostId));
  SPACELET_TRY(readField(j, "size", path, asUint32, m.size));
  if (m.size == 0) return failInvalid(fieldPath(path, "size") + ": must be at least 1");
  return m;
}

Result<std::vector<IdMapping>> parseIdMappings(const Json& j, const std::string& path) {
  SPACELET_TRY(requireArray(j, path));
  std::vector<IdMapping> out;
  for (size_t i = 0; i < j.size(); ++i) {
    auto m = parseIdMapping(j[i], indexPath(path, i));
    if (!m) return fail(std::move(m).error());
    out.push_back(*m);
  }
  return out;
}

Result<Device> parseDevice(const Json& j, const std::string& path) {
  SPACELET_TRY(requireObject(j, path));
  Device d;
  std::string type;
  if (member(j, "path") == nullptr) return failInvalid(path + ".path: missing (e.g. /dev/fuse)");
  if (member(j, "type") == nullptr) return failInvalid(path + ".type: missing (c, b, u or p)");
  SPACELET_TRY(readField(j, "path", path, asString, d.path));
  SPACELET_TRY(readField(j, "type", path, asString, type));
  if (type.size() != 1 || std::string_view("cbup").find(type[0]) == std::string_view::npos) {
    return failInvalid(fieldPath(path, "type") + ": '" + type + "' is not c, b, u or p");
  }
  d.type = type[0];
  SPACELET_TRY(readField(j, "major", path, asInt64, d.major));
  SPACELET_TRY(readField(j, "minor", path, asInt64, d.minor));
  if (d.type != 'p' && (member(j, "major") == nullptr || member(j, "minor") == nullptr)) {
    return failInvalid(path + ": 'major' and 'minor' are required for type '" + type + "'");
  }
  uint32_t mode = 0;
  if (member(j, "fileMode") != nullptr) {
    SPACELET_TRY(readField(j, "fileMode", path, asUint32, mode));
    d.fileMode = static_cast<mode_t>(mode & 07777);
  }
  SPACELET_TRY(readField(j, "uid", path, asUint32, d.uid));
  SPACELET_TRY(readField(j, "gid", path, asUint32, d.gid));
  return d;
}

Result<std::vector<Device>> parseDevices(const Json& j, const std::string& path) {
  SPACELET_TRY(requireArray(j, path));
  std::vector<Device> out;
  for (size_t i = 0; i < j.size(); ++i) {
    auto d = parseDevice(j[i], indexPath(path, i));
    if (!d) return fail(std::move(d).error());
    out.push_back(std::move(*d));
  }
  return out;
}

Result<unsigned long> parsePersonality(const Json& j, const std::string& path) {
  SPACELET_TRY(requireObject(j, path));
  std::string domain;
  SPACELET_TRY(readField(j, "domain", path, asString, domain));
  auto persona = personalityFromDomain(domain);
  if (!persona) {
    return failInvalid(fieldPath(path, "domain") + ": unknown domain '" + domain +
                       "' (expected LINUX or LINUX32)");
  }
  if (const Json* flags = member(j, "flags"); flags != nullptr && !flags->empty()) {
    return failInvalid(fieldPath(path, "flags") + ": personality flags are not supported");
  }
  return *persona;
}

Result<TimeOffset> parseTimeOffset(const Json& j, const std::string& path) {
  SPACELET_TRY(requireObject(j, path));
  TimeOffset offset;
  SPACELET_TRY(readField(j, "secs", path, asInt64, offset.secs));
  SPACELET_TRY(readField(j, "nanosecs", path, asUint32, offset.nanosecs));
  if (offset.nanosecs >= 1000000000u) {
    return failInvalid(fieldPath(path, "nanosecs") + ": must be below 1000000000");
  }
  return offset;
}

Result<std::map<std::string, TimeOffset>> parseTimeOffsets(const Json& j, const std::string& path) {
  SPACELET_TRY(requireObject(j, path));
  std::map<std::string, TimeOffset> out;
  for (const auto& [clock, value] : j.items()) {
    if (clock != "monotonic" && clock != "boottime") {
      return failInvalid(fieldPath(path, clock) +
                         ": unknown clock (expected monotonic or "
                         "boottime)");
    }
    auto offset = parseTimeOffset(value, fieldPath(path, clock));
    if (!offset) return fail(std::move(offset).error());
    out.emplace(clock, *offset);
  }
  return out;
}

Result<std::string> parsePropagation(const Json& j, const std::string& path) {
  auto value = asString(j, path);
  if (!value) return value;
  static const char* const kAllowed[] = {"",        "shared",     "slave",
                                         "private", "unbindable", "rshared",
                                         "rslave",  "rprivate",   "runbindable"};
  for (const char* allowed : kAllowed) {
    if (*value == allowed) return value;
  }
  return failInvalid(path + ": unknown propagation '" + *value +
                     "' (expected shared, slave, private or unbindable, optionally with r)");
}

Result<void> parseSecurityParts(const Json& j, const std::string& path, Linux& out) {
  if (const Json* r = member(j, "resources")) {
    auto resources = cgroup::parseResources(*r, fieldPath(path, "resources"));
    if (!resources) return fail(std::move(resources).error());
    out.resources = std::move(*resources);
  }
  if (const Json* s = member(j, "seccomp")) {
    auto filter = seccomp::parse(*s, fieldPath(path, "seccomp"));
    if (!filter) return fail(std::move(filter).error());
    out.seccomp = std::move(*filter);
  }
  for (const char* key : {"intelRdt", "memoryPolicy", "netDevices"}) {
    if (member(j, key) != nullptr) {
      return failInvalid(fieldPath(path, key) + ": not supported by spacelet-run; remove it");
    }
  }
  return {};
}

}  // namespace

Result<Linux> parseLinux(const Json& j, const std::string& path) {
  SPACELET_TRY(requireObject(j, path));
  Linux out;
  SPACELET_TRY(readField(j, "namespaces", path, parseNamespaces, out.namespaces));
  SPACELET_TRY(readField(j, "uidMappings", path, parseIdMappings, out.uidMappings));
  SPACELET_TRY(readField(j, "gidMappings", path, parseIdMappings, out.gidMappings));
  SPACELET_TRY(readField(j, "devices", path, parseDevices, out.devices));
  SPACELET_TRY(readField(j, "cgroupsPath", path, asString, out.cgroupsPath));
  SPACELET_TRY(readField(j, "sysctl", path, asStringMap, out.sysctl));
  SPACELET_TRY(readField(j, "maskedPaths", path, asStringArray, out.maskedPaths));
  SPACELET_TRY(readField(j, "readonlyPaths", path, asStringArray, out.readonlyPaths));
  SPACELET_TRY(readField(j, "rootfsPropagation", path, parsePropagation, out.rootfsPropagation));
  SPACELET_TRY(readField(j, "mountLabel", path, asString, out.mountLabel));
  SPACELET_TRY(readField(j, "personality", path, parsePersonality, out.personality));
  SPACELET_TRY(readField(j, "timeOffsets", path, parseTimeOffsets, out.timeOffsets));
  SPACELET_TRY(parseSecurityParts(j, path, out));
  return out;
}

}  // namespace spacelet::sandbox::spec
