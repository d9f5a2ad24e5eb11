// parseSpec(): CDI spec JSON → Spec, checking every field against the cdiVersion the file
// declares (the version history is in SPEC.md of the CDI project: 0.4.0 mount type, 0.5.0
// hostPath and digit-led device names, 0.6.0 annotations and dots in the class, 0.7.0
// intelRdt and additionalGids, 1.1.0 netDevices and intelRdt schemata/enableMonitoring).
#include "agent/gpu/cdi_spec.h"

#include <algorithm>
#include <array>
#include <set>

namespace spacelet::agent::gpu::cdi {
namespace {

using nlohmann::json;
using Version = std::array<int, 3>;

constexpr Version kV040{0, 4, 0}, kV050{0, 5, 0}, kV060{0, 6, 0}, kV070{0, 7, 0}, kV110{1, 1, 0};

std::string member(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string element(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}
Unexpected invalidAt(const std::string& path, const std::string& what) {
  return failInvalid(path + ": " + what);
}
std::string versionText(const Version& v) {
  return std::to_string(v[0]) + "." + std::to_string(v[1]) + "." + std::to_string(v[2]);
}

std::optional<Version> parseVersion(const std::string& text) {
  std::string bare = text.starts_with("v") ? text.substr(1) : text;
  for (const auto& known : supportedVersions()) {
    if (bare != known) continue;
    Version v{};
    std::sscanf(known.c_str(), "%d.%d.%d", &v[0], &v[1], &v[2]);
    return v;
  }
  return std::nullopt;
}

// What a parse needs to know besides the JSON: the declared version.
struct Context {
  Version version;
  std::string versionString;
  Result<void> require(const Version& min, const std::string& path, const char* what) const {
    if (version >= min) return {};
    return invalidAt(path, std::string(what) + " needs cdiVersion " + versionText(min) +
                               " or later, but the spec says '" + versionString +
                               "'; raise cdiVersion or remove the field");
  }
};

Result<void> checkKeys(const json& j, const std::string& path,
                       std::initializer_list<std::string_view> allowed) {
  if (!j.is_object())
    return invalidAt(path, std::string("expected an object, got ") + j.type_name());
  for (const auto& [key, value] : j.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "'" : ", '") + std::string(a) + "'";
    return invalidAt(member(path, key), "unknown field; valid here: " + list);
  }
  return {};
}

// Field readers: each fills `out` when the key is present and well-typed, so callers can
// chain them with SPACELET_TRY.
Result<void> readString(const json& j, std::string_view key, const std::string& path, bool required,
                        std::string& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return invalidAt(member(path, key), "missing (required)");
    return {};
  }
  if (!it->is_string()) {
    return invalidAt(member(path, key), std::string("expected a string, got ") + it->type_name());
  }
  out = it->get<std::string>();
  if (required && out.empty()) return invalidAt(member(path, key), "must not be empty");
  return {};
}

Result<void> readStrings(const json& j, std::string_view key, const std::string& path,
                         std::vector<std::string>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_array()) return invalidAt(member(path, key), "expected an array of strings");
  for (size_t i = 0; i < it->size(); ++i) {
    if (!(*it)[i].is_string()) return invalidAt(element(member(path, key), i), "expected a string");
    out.push_back((*it)[i].get<std::string>());
  }
  return {};
}

Result<void> checkInteger(const json& v, const std::string& path, int64_t min, int64_t max) {
  bool integral = v.is_number_integer() || v.is_number_unsigned();
  if (!integral || (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX))) {
    return invalidAt(path, "expected an integer, got " + v.dump());
  }
  int64_t n = v.get<int64_t>();
  if (n < min || n > max) {
    return invalidAt(path, "'" + std::to_string(n) + "' is out of range " + std::to_string(min) +
                               ".." + std::to_string(max));
  }
  return {};
}

template <typename T>
Result<void> readInt(const json& j, std::string_view key, const std::string& path, int64_t min,
                     int64_t max, std::optional<T>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  SPACELET_TRY(checkInteger(*it, member(path, key), min, max));
  out = static_cast<T>(it->get<int64_t>());
  return {};
}

Result<std::map<std::string, std::string>> getAnnotations(const json& j, const std::string& path,
                                                          const Context& ctx) {
  std::map<std::string, std::string> out;
  auto it = j.find("annotations");
  if (it == j.end() || it->is_null()) return out;
  std::string where = member(path, "annotations");
  if (!it->is_object()) return invalidAt(where, "expected an object of strings");
  for (const auto& [key, value] : it->items()) {
    if (!value.is_string()) return invalidAt(member(where, key), "expected a string");
    out[key] = value.get<std::string>();
  }
  if (!out.empty()) SPACELET_TRY(ctx.require(kV060, where, "annotations"));
  return out;
}

Result<void> checkEnv(const std::vector<std::string>& env, const std::string& path) {
  for (size_t i = 0; i < env.size(); ++i) {
    size_t eq = env[i].find('=');
    if (eq == std::string::npos || eq == 0) {
      return invalidAt(element(path, i), "'" + env[i] + "' is not NAME=VALUE");
    }
  }
  return {};
}

Result<void> checkAbsolute(const std::string& value, const std::string& path) {
  if (value.empty() || value[0] == '/') return {};
  return invalidAt(path, "'" + value + "' is not an absolute path");
}

constexpr int64_t kMaxUint32 = UINT32_MAX;

Result<DeviceNode> parseDeviceNode(const json& j, const std::string& path, const Context& ctx) {
  SPACELET_TRY(checkKeys(
      j, path,
      {"path", "hostPath", "type", "major", "minor", "fileMode", "permissions", "uid", "gid"}));
  DeviceNode node;
  SPACELET_TRY(readString(j, "path", path, true, node.path));
  SPACELET_TRY(checkAbsolute(node.path, member(path, "path")));
  SPACELET_TRY(readString(j, "hostPath", path, false, node.hostPath));
  if (!node.hostPath.empty())
    SPACELET_TRY(ctx.require(kV050, member(path, "hostPath"), "hostPath"));
  SPACELET_TRY(checkAbsolute(node.hostPath, member(path, "hostPath")));
  SPACELET_TRY(readString(j, "type", path, false, node.type));
  if (!node.type.empty() && node.type != "c" && node.type != "b" && node.type != "u" &&
      node.type != "p") {
    return invalidAt(member(path, "type"), "'" + node.type +
                                               "' is not a device type; use 'c' "
                                               "(char), 'b' (block), 'u' or 'p' (fifo)");
  }
  SPACELET_TRY(readInt(j, "major", path, 0, kMaxUint32, node.major));
  SPACELET_TRY(readInt(j, "minor", path, 0, kMaxUint32, node.minor));
  SPACELET_TRY(readInt(j, "fileMode", path, 0, 07777, node.fileMode));
  SPACELET_TRY(readString(j, "permissions", path, false, node.permissions));
  if (node.permissions.find_first_not_of("rwm") != std::string::npos) {
    return invalidAt(member(path, "permissions"),
                     "'" + node.permissions + "' may only hold 'r', 'w' and 'm'");
  }
  SPACELET_TRY(readInt(j, "uid", path, 0, kMaxUint32, node.uid));
  SPACELET_TRY(readInt(j, "gid", path, 0, kMaxUint32, node.gid));
  return node;
}

Result<Mount> parseMount(const json& j, const std::string& path, const Context& ctx) {
  SPACELET_TRY(checkKeys(j, path, {"hostPath", "containerPath", "type", "options"}));
  Mount mount;
  SPACELET_TRY(readString(j, "hostPath", path, true, mount.hostPath));
  SPACELET_TRY(readString(j, "containerPath", path, true, mount.containerPath));
  SPACELET_TRY(checkAbsolute(mount.containerPath, member(path, "containerPath")));
  SPACELET_TRY(readString(j, "type", path, false, mount.type));
  if (!mount.type.empty()) SPACELET_TRY(ctx.require(kV040, member(path, "type"), "a mount type"));
  SPACELET_TRY(readStrings(j, "options", path, mount.options));
  return mount;
}

constexpr std::array<std::string_view, 6> kHookNames = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"};

Result<Hook> parseHook(const json& j, const std::string& path, const Context&) {
  SPACELET_TRY(checkKeys(j, path, {"hookName", "path", "args", "env", "timeout"}));
  Hook hook;
  SPACELET_TRY(readString(j, "hookName", path, true, hook.hookName));
  if (std::find(kHookNames.begin(), kHookNames.end(), hook.hookName) == kHookNames.end()) {
    return invalidAt(member(path, "hookName"),
                     "'" + hook.hookName +
                         "' is not an OCI hook; use one of prestart, "
                         "createRuntime, createContainer, startContainer, poststart, poststop");
  }
  SPACELET_TRY(readString(j, "path", path, true, hook.path));
  SPACELET_TRY(checkAbsolute(hook.path, member(path, "path")));
  SPACELET_TRY(readStrings(j, "args", path, hook.args));
  SPACELET_TRY(readStrings(j, "env", path, hook.env));
  SPACELET_TRY(checkEnv(hook.env, member(path, "env")));
  SPACELET_TRY(readInt(j, "timeout", path, 1, INT32_MAX, hook.timeout));
  return hook;
}

Result<NetDevice> parseNetDevice(const json& j, const std::string& path, const Context&) {
  SPACELET_TRY(checkKeys(j, path, {"hostInterfaceName", "name"}));
  NetDevice dev;
  SPACELET_TRY(readString(j, "hostInterfaceName", path, true, dev.hostInterfaceName));
  SPACELET_TRY(readString(j, "name", path, true, dev.name));
  return dev;
}

// intelRdt: enableCMT/enableMBM exist before 1.1.0 only; schemata/enableMonitoring from 1.1.0.
Result<json> parseIntelRdt(const json& j, const std::string& path, const Context& ctx) {
  SPACELET_TRY(ctx.require(kV070, path, "intelRdt"));
  SPACELET_TRY(checkKeys(j, path,
                         {"closID", "l3CacheSchema", "memBwSchema", "enableCMT", "enableMBM",
                          "schemata", "enableMonitoring"}));
  std::string ignored;
  for (const char* key : {"closID", "l3CacheSchema", "memBwSchema"}) {
    SPACELET_TRY(readString(j, key, path, false, ignored));
  }
  for (const char* key : {"enableCMT", "enableMBM", "enableMonitoring"}) {
    if (j.contains(key) && !j[key].is_boolean())
      return invalidAt(member(path, key), "expected true or false");
  }
  bool current = ctx.version >= kV110;
  for (const char* key : {"enableCMT", "enableMBM"}) {
    if (j.contains(key) && current) {
      return invalidAt(member(path, key), "was removed in cdiVersion 1.1.0 (the spec says '" +
                                              ctx.versionString + "'); use enableMonitoring");
    }
  }
  std::vector<std::string> schemata;
  SPACELET_TRY(readStrings(j, "schemata", path, schemata));
  if (j.contains("schemata"))
    SPACELET_TRY(ctx.require(kV110, member(path, "schemata"), "schemata"));
  if (j.contains("enableMonitoring")) {
    SPACELET_TRY(ctx.require(kV110, member(path, "enableMonitoring"), "enableMonitoring"));
  }
  return j;
}

template <typename T, typename Parse>
Result<void> readList(const json& j, std::string_view key, const std::string& path,
                      const Context& ctx, Parse parse, std::vector<T>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  std::string where = member(path, key);
  if (!it->is_array()) return invalidAt(where, "expected an array");
  for (size_t i = 0; i < it->size(); ++i) {
    auto item = parse((*it)[i], element(where, i), ctx);
    if (!item) return fail(std::move(item).error());
    out.push_back(std::move(*item));
  }
  return {};
}

Result<void> readGids(const json& j, const std::string& path, const Context& ctx,
                      std::vector<uint32_t>& out) {
  auto it = j.find("additionalGids");
  if (it == j.end() || it->is_null()) return {};
  std::string where = member(path, "additionalGids");
  if (!it->is_array()) return invalidAt(where, "expected an array of group ids");
  for (size_t i = 0; i < it->size(); ++i) {
    SPACELET_TRY(checkInteger((*it)[i], element(where, i), 0, kMaxUint32));
    out.push_back((*it)[i].get<uint32_t>());
  }
  if (!out.empty()) SPACELET_TRY(ctx.require(kV070, where, "additionalGids"));
  return {};
}

Result<ContainerEdits> parseEdits(const json& j, const std::string& path, const Context& ctx) {
  SPACELET_TRY(checkKeys(
      j, path,
      {"env", "deviceNodes", "mounts", "hooks", "additionalGids", "intelRdt", "netDevices"}));
  ContainerEdits edits;
  SPACELET_TRY(readStrings(j, "env", path, edits.env));
  SPACELET_TRY(checkEnv(edits.env, member(path, "env")));
  SPACELET_TRY(readList(j, "deviceNodes", path, ctx, parseDeviceNode, edits.deviceNodes));
  SPACELET_TRY(readList(j, "mounts", path, ctx, parseMount, edits.mounts));
  SPACELET_TRY(readList(j, "hooks", path, ctx, parseHook, edits.hooks));
  SPACELET_TRY(readGids(j, path, ctx, edits.additionalGids));
  if (auto it = j.find("intelRdt"); it != j.end() && !it->is_null()) {
    auto rdt = parseIntelRdt(*it, member(path, "intelRdt"), ctx);
    if (!rdt) return fail(std::move(rdt).error());
    edits.intelRdt = std::move(*rdt);
  }
  SPACELET_TRY(readList(j, "netDevices", path, ctx, parseNetDevice, edits.netDevices));
  if (!edits.netDevices.empty()) {
    SPACELET_TRY(ctx.require(kV110, member(path, "netDevices"), "netDevices"));
  }
  return edits;
}

Result<Device> parseDevice(const json& j, const std::string& path, const Context& ctx) {
  SPACELET_TRY(checkKeys(j, path, {"name", "annotations", "containerEdits"}));
  Device device;
  SPACELET_TRY(readString(j, "name", path, true, device.name));
  if (auto why = deviceNameProblem(device.name); !why.empty()) {
    return invalidAt(member(path, "name"), why);
  }
  if (device.name[0] >= '0' && device.name[0] <= '9') {
    SPACELET_TRY(ctx.require(kV050, member(path, "name"), "a device name starting with a digit"));
  }
  auto annotations = getAnnotations(j, path, ctx);
  if (!annotations) return fail(std::move(annotations).error());
  device.annotations = std::move(*annotations);
  if (!j.contains("containerEdits")) {
    return invalidAt(member(path, "containerEdits"), "missing (required)");
  }
  auto edits = parseEdits(j["containerEdits"], member(path, "containerEdits"), ctx);
  if (!edits) return fail(std::move(edits).error());
  if (edits->empty())
    return invalidAt(member(path, "containerEdits"), "a device needs at least one edit");
  device.edits = std::move(*edits);
  return device;
}

Result<Context> readVersion(const json& j) {
  std::string text;
  SPACELET_TRY(readString(j, "cdiVersion", "", true, text));
  if (text == "0.1.0" || text == "0.2.0") {
    return invalidAt("cdiVersion",
                     "'" + text +
                         "' uses the pre-0.3.0 format, which is not "
                         "supported; regenerate the spec (e.g. nvidia-ctk cdi generate)");
  }
  auto version = parseVersion(text);
  if (!version) {
    std::string list;
    for (const auto& v : supportedVersions()) list += (list.empty() ? "'" : ", '") + v + "'";
    return invalidAt("cdiVersion", "unknown version '" + text + "'; supported: " + list);
  }
  return Context{*version, text};
}

Result<void> readKind(const json& j, const Context& ctx, Spec& spec) {
  SPACELET_TRY(readString(j, "kind", "", true, spec.kind));
  size_t slash = spec.kind.find('/');
  if (slash == std::string::npos || spec.kind.find('/', slash + 1) != std::string::npos) {
    return invalidAt("kind", "'" + spec.kind + "' is not 'vendor/class' (like 'nvidia.com/gpu')");
  }
  spec.vendor = spec.kind.substr(0, slash);
  spec.className = spec.kind.substr(slash + 1);
  if (auto why = vendorOrClassProblem(spec.vendor); !why.empty())
    return invalidAt("kind", "vendor " + why);
  if (auto why = vendorOrClassProblem(spec.className); !why.empty())
    return invalidAt("kind", "class " + why);
  if (spec.className.find('.') != std::string::npos) {
    SPACELET_TRY(ctx.require(kV060, "kind", "a '.' in the class name"));
  }
  return {};
}

Result<void> readDevices(const json& j, const Context& ctx, Spec& spec) {
  SPACELET_TRY(readList(j, "devices", "", ctx, parseDevice, spec.devices));
  if (spec.devices.empty()) return invalidAt("devices", "a spec needs at least one device");
  std::set<std::string> seen;
  for (size_t i = 0; i < spec.devices.size(); ++i) {
    if (!seen.insert(spec.devices[i].name).second) {
      return invalidAt(element("devices", i) + ".name",
                       "'" + spec.devices[i].name + "' is defined twice in this spec");
    }
  }
  return {};
}

}  // namespace

bool ContainerEdits::empty() const {
  return env.empty() && deviceNodes.empty() && mounts.empty() && hooks.empty() &&
         additionalGids.empty() && !intelRdt && netDevices.empty();
}

void ContainerEdits::append(const ContainerEdits& other) {
  env.insert(env.end(), other.env.begin(), other.env.end());
  deviceNodes.insert(deviceNodes.end(), other.deviceNodes.begin(), other.deviceNodes.end());
  mounts.insert(mounts.end(), other.mounts.begin(), other.mounts.end());
  hooks.insert(hooks.end(), other.hooks.begin(), other.hooks.end());
  additionalGids.insert(additionalGids.end(), other.additionalGids.begin(),
                        other.additionalGids.end());
  if (other.intelRdt) intelRdt = other.intelRdt;
  netDevices.insert(netDevices.end(), other.netDevices.begin(), other.netDevices.end());
}

const std::vector<std::string>& supportedVersions() {
  static const std::vector<std::string> kVersions = {"0.3.0", "0.4.0", "0.5.0", "0.6.0",
                                                     "0.7.0", "0.8.0", "1.0.0", "1.1.0"};
  return kVersions;
}

Result<Spec> parseSpec(const nlohmann::json& j) {
  if (!j.is_object())
    return failInvalid(std::string("expected a JSON object, got ") + j.type_name());
  SPACELET_TRY(
      checkKeys(j, "", {"cdiVersion", "kind", "annotations", "devices", "containerEdits"}));
  auto ctx = readVersion(j);
  if (!ctx) return fail(std::move(ctx).error());
  Spec spec;
  spec.version = ctx->versionString;
  SPACELET_TRY(readKind(j, *ctx, spec));
  auto annotations = getAnnotations(j, "", *ctx);
  if (!annotations) return fail(std::move(annotations).error());
  spec.annotations = std::move(*annotations);
  SPACELET_TRY(readDevices(j, *ctx, spec));
  if (auto it = j.find("containerEdits"); it != j.end() && !it->is_null()) {
    auto edits = parseEdits(*it, "containerEdits", *ctx);
    if (!edits) return fail(std::move(edits).error());
    spec.edits = std::move(*edits);
  }
  return spec;
}

namespace {

bool isLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isAlnum(char c) {
  return isLetter(c) || (c >= '0' && c <= '9');
}

std::string nameProblem(const std::string& name, bool digitFirst, std::string_view extra) {
  if (name.empty()) return "is empty";
  if (!(digitFirst ? isAlnum(name[0]) : isLetter(name[0]))) {
    return "'" + name + "' must start with a letter" + (digitFirst ? " or digit" : "");
  }
  if (!isAlnum(name.back())) return "'" + name + "' must end with a letter or digit";
  for (char c : name) {
    if (!isAlnum(c) && extra.find(c) == std::string_view::npos) {
      return "'" + name + "' holds '" + std::string(1, c) + "'; only letters, digits and '" +
             std::string(extra) + "' are allowed";
    }
  }
  return "";
}

}  // namespace

std::string vendorOrClassProblem(const std::string& name) {
  return nameProblem(name, false, "-_.");
}
std::string deviceNameProblem(const std::string& name) {
  return nameProblem(name, true, "-_.:");
}

Result<QualifiedName> parseQualifiedName(const std::string& text) {
  size_t eq = text.find('=');
  size_t slash = text.find('/');
  if (eq == std::string::npos || slash == std::string::npos || slash > eq) {
    return failInvalid("'" + text +
                       "' is not a qualified CDI device name like "
                       "'nvidia.com/gpu=0' (vendor/class=name)");
  }
  QualifiedName q{text.substr(0, slash), text.substr(slash + 1, eq - slash - 1),
                  text.substr(eq + 1)};
  if (auto why = vendorOrClassProblem(q.vendor); !why.empty()) {
    return failInvalid("device '" + text + "': vendor " + why);
  }
  if (auto why = vendorOrClassProblem(q.className); !why.empty()) {
    return failInvalid("device '" + text + "': class " + why);
  }
  if (auto why = deviceNameProblem(q.name); !why.empty()) {
    return failInvalid("device '" + text + "': name " + why);
  }
  return q;
}

}  // namespace spacelet::agent::gpu::cdi
