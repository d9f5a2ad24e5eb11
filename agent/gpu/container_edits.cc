// applyEdits(): one small step per kind of edit, each on the OCI config's JSON.
#include "agent/gpu/container_edits.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <set>

namespace spacelet::agent::gpu {
namespace {

using nlohmann::json;

json& ensureArray(json& parent, const char* key) {
  if (!parent.contains(key) || !parent[key].is_array()) parent[key] = json::array();
  return parent[key];
}

std::string envName(const std::string& entry) {
  return entry.substr(0, entry.find('='));
}

// Replaces NAME=... in process.env or appends it.
void setEnv(json& config, const std::string& entry) {
  json& env = ensureArray(config["process"], "env");
  for (auto& existing : env) {
    if (existing.is_string() && envName(existing.get<std::string>()) == envName(entry)) {
      existing = entry;
      return;
    }
  }
  env.push_back(entry);
}

// Fills type/major/minor/mode from the host when the spec leaves them out (CDI's
// fillMissingInfo); a type the spec gives must agree with the host's.
Result<cdi::DeviceNode> resolveNode(cdi::DeviceNode node, const StatNode& stat) {
  if (node.hostPath.empty()) node.hostPath = node.path;
  bool needsNumbers = node.type != "p" && (!node.major || !node.minor);
  // A spec that gives the type and numbers is taken as it is; the node may not exist on the
  // host yet (nvidia-uvm before its first use).
  if (!node.type.empty() && !needsNumbers) return node;
  auto host = stat(node.hostPath);
  if (!host) return fail(std::move(host).error().withContext("device node '" + node.path + "'"));
  std::string given = node.type == "u" ? "c" : node.type;
  if (!given.empty() && given != host->type) {
    return failInvalid("device node '" + node.path + "': the spec says type '" + node.type +
                       "' but '" + node.hostPath + "' on the host is type '" + host->type + "'");
  }
  if (node.type.empty()) node.type = host->type;
  if (needsNumbers && host->type != "p") {
    node.major = host->major;
    node.minor = host->minor;
  }
  if (!node.fileMode) node.fileMode = host->mode;
  return node;
}

json ociDevice(const cdi::DeviceNode& node, const json& user) {
  json dev{{"path", node.path}, {"type", node.type}};
  if (node.type != "p") {
    dev["major"] = *node.major;
    dev["minor"] = *node.minor;
  }
  if (node.fileMode) dev["fileMode"] = *node.fileMode;
  // As CDI does: without an owner in the spec, the node belongs to the process's user.
  uint32_t uid = user.value("uid", 0u), gid = user.value("gid", 0u);
  if (node.uid)
    dev["uid"] = *node.uid;
  else if (uid > 0)
    dev["uid"] = uid;
  if (node.gid)
    dev["gid"] = *node.gid;
  else if (gid > 0)
    dev["gid"] = gid;
  return dev;
}

bool userNamespaced(const json& config) {
  const json& namespaces = config["linux"].value("namespaces", json::array());
  return std::any_of(namespaces.begin(), namespaces.end(),
                     [](const json& n) { return n.value("type", "") == "user"; });
}

Result<void> addDeviceNode(json& config, const cdi::DeviceNode& spec, const StatNode& stat) {
  auto node = resolveNode(spec, stat);
  if (!node) return fail(std::move(node).error());
  if (userNamespaced(config) && node->hostPath != node->path && node->type != "p") {
    // A user-namespaced container cannot mknod: the runtime binds each linux.devices entry
    // from the same path on the host, which is wrong when the node lives elsewhere there
    // (hostPath). Bind hostPath itself; the device cgroup rule below still decides access.
    json& mounts = ensureArray(config, "mounts");
    mounts.push_back({{"destination", node->path},
                      {"source", node->hostPath},
                      {"type", "bind"},
                      {"options", json::array({"bind", "nosuid", "noexec"})}});
  } else {
    json& devices = ensureArray(config["linux"], "devices");
    devices.erase(std::remove_if(devices.begin(), devices.end(),
                                 [&](const json& d) { return d.value("path", "") == node->path; }),
                  devices.end());
    devices.push_back(ociDevice(*node, config["process"].value("user", json::object())));
  }
  if (node->type == "p") return {};
  json& rules = ensureArray(config["linux"]["resources"], "devices");
  rules.push_back({{"allow", true},
                   {"type", node->type == "b" ? "b" : "c"},
                   {"major", *node->major},
                   {"minor", *node->minor},
                   {"access", node->permissions.empty() ? "rwm" : node->permissions}});
  return {};
}

size_t depth(const std::string& path) {
  return static_cast<size_t>(std::count(path.begin(), path.end(), '/'));
}

void addMount(json& config, const cdi::Mount& mount) {
  json& mounts = ensureArray(config, "mounts");
  mounts.erase(std::remove_if(mounts.begin(), mounts.end(),
                              [&](const json& m) {
                                return m.value("destination", "") == mount.containerPath;
                              }),
               mounts.end());
  json m{{"destination", mount.containerPath}, {"source", mount.hostPath}};
  bool bind = std::any_of(mount.options.begin(), mount.options.end(),
                          [](const std::string& o) { return o == "bind" || o == "rbind"; });
  if (!mount.type.empty())
    m["type"] = mount.type;
  else if (bind)
    m["type"] = "bind";
  if (!mount.options.empty()) m["options"] = mount.options;
  mounts.push_back(std::move(m));
}

// Parents before children: a stable sort by the number of path components.
void sortMounts(json& config) {
  if (!config.contains("mounts")) return;
  std::vector<json> mounts(config["mounts"].begin(), config["mounts"].end());
  std::stable_sort(mounts.begin(), mounts.end(), [](const json& a, const json& b) {
    return depth(a.value("destination", "")) < depth(b.value("destination", ""));
  });
  config["mounts"] = mounts;
}

void addHook(json& config, const cdi::Hook& hook) {
  json h{{"path", hook.path}};
  if (!hook.args.empty()) h["args"] = hook.args;
  if (!hook.env.empty()) h["env"] = hook.env;
  if (hook.timeout) h["timeout"] = *hook.timeout;
  ensureArray(config["hooks"], hook.hookName.c_str()).push_back(std::move(h));
}

void addGids(json& config, const std::vector<uint32_t>& gids) {
  if (gids.empty()) return;
  json& list = ensureArray(config["process"]["user"], "additionalGids");
  std::set<uint32_t> present;
  for (const auto& g : list)
    if (g.is_number_unsigned()) present.insert(g.get<uint32_t>());
  for (uint32_t gid : gids) {
    if (gid != 0 && present.insert(gid).second) list.push_back(gid);  // CDI ignores gid 0
  }
}

}  // namespace

StatNode hostStat() {
  return [](const std::string& path) -> Result<HostNode> {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return failErrno(errno, "stat '" + path + "'");
    HostNode node;
    if (S_ISCHR(st.st_mode))
      node.type = "c";
    else if (S_ISBLK(st.st_mode))
      node.type = "b";
    else if (S_ISFIFO(st.st_mode))
      node.type = "p";
    else
      return failInvalid("'" + path + "' is not a device node or fifo");
    node.major = major(st.st_rdev);
    node.minor = minor(st.st_rdev);
    node.mode = st.st_mode & 07777;
    return node;
  };
}

Result<cdi::ContainerEdits> collectEdits(const cdi::Registry& registry,
                                         const std::vector<std::string>& qualifiedNames) {
  cdi::ContainerEdits edits;
  std::set<const cdi::LoadedSpec*> seen;
  for (const auto& name : qualifiedNames) {
    auto entry = registry.find(name);
    if (!entry) {
      return failInvalid("CDI device '" + name + "' is not in any spec (or its definition " +
                         "conflicts); run 'spacectl gpu generate-cdi' or check the spec dirs");
    }
    if (seen.insert(entry->spec).second) edits.append(entry->spec->spec.edits);
    edits.append(entry->device->edits);
  }
  return edits;
}

Result<void> applyEdits(nlohmann::json& config, const cdi::ContainerEdits& edits,
                        const StatNode& stat) {
  if (!edits.netDevices.empty()) {
    return failInvalid("CDI netDevices would move host interface '" +
                       edits.netDevices.front().hostInterfaceName +
                       "' into the Space, around its egress policy; spacelet does not grant "
                       "network devices");
  }
  for (const auto& entry : edits.env) setEnv(config, entry);
  for (const auto& node : edits.deviceNodes) SPACELET_TRY(addDeviceNode(config, node, stat));
  for (const auto& mount : edits.mounts) addMount(config, mount);
  if (!edits.mounts.empty()) sortMounts(config);
  for (const auto& hook : edits.hooks) addHook(config, hook);
  addGids(config, edits.additionalGids);
  if (edits.intelRdt) config["linux"]["intelRdt"] = *edits.intelRdt;
  return {};
}

}  // namespace spacelet::agent::gpu
