// applyGrant(): strip image GPU variables → deny-by-default device cgroup → CDI edits of the
// granted devices → spacelet's own variables. Works on a copy and swaps it in on success.
#include "agent/gpu/grant.h"

#include <algorithm>

namespace spacelet::agent::gpu {
namespace {

using nlohmann::json;

void removeEnv(json& config, const std::string& name) {
  if (!config.contains("process") || !config["process"].contains("env")) return;
  json& env = config["process"]["env"];
  env.erase(std::remove_if(env.begin(), env.end(),
                           [&](const json& e) {
                             return e.is_string() && e.get<std::string>().starts_with(name + "=");
                           }),
            env.end());
}

bool isDenyAll(const json& rule) {
  return rule.is_object() && !rule.value("allow", true) && rule.value("type", "a") == "a" &&
         !rule.contains("major") && !rule.contains("minor") && rule.value("access", "") == "rwm";
}

// The device cgroup starts from "deny everything" so the allow rules CDI adds are the only
// way to a GPU; a config that lacks the rule gets it first.
void ensureDenyAll(json& config) {
  json& resources = config["linux"]["resources"];
  if (!resources.contains("devices") || !resources["devices"].is_array()) {
    resources["devices"] = json::array();
  }
  json& rules = resources["devices"];
  if (!rules.empty() && isDenyAll(rules.front())) return;
  rules.insert(rules.begin(), json{{"allow", false}, {"access", "rwm"}});
}

std::string visibleDevices(const std::vector<Gpu>& granted) {
  if (granted.empty()) return "void";
  std::string list;
  for (const auto& gpu : granted) {
    std::string id = gpu.uuid.empty() ? gpu.name.substr(gpu.name.find('=') + 1) : gpu.uuid;
    list += (list.empty() ? "" : ",") + id;
  }
  return list;
}

}  // namespace

Result<void> applyGrant(nlohmann::json& config, const cdi::Registry& registry,
                        const std::vector<Gpu>& granted, const GrantOptions& options) {
  json edited = config;
  removeEnv(edited, kVisibleDevicesVar);
  removeEnv(edited, kAcceleratorVar);
  ensureDenyAll(edited);
  std::vector<std::string> names;
  for (const auto& gpu : granted) names.push_back(gpu.name);
  auto edits = collectEdits(registry, names);
  if (!edits) return fail(std::move(edits).error());
  SPACELET_TRY_CONTEXT(applyEdits(edited, *edits, options.stat), "apply the CDI edits");
  json& env = edited["process"]["env"];
  removeEnv(edited, kVisibleDevicesVar);  // a spec's own value (nvidia-ctk writes "void")
  env.push_back(std::string(kVisibleDevicesVar) + "=" + visibleDevices(granted));
  if (!granted.empty() && !options.accelerator.empty()) {
    env.push_back(std::string(kAcceleratorVar) + "=" + options.accelerator);
  }
  config = std::move(edited);
  return {};
}

}  // namespace spacelet::agent::gpu
