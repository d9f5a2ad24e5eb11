// Printing a Config as the commented YAML file operators edit (the shipped
// packaging/config.yaml is renderConfig(Config{})), and planning what a reload may change.
#include <algorithm>

#include "agent/config/load.h"
#include "agent/config/settings.h"

namespace spacelet::agent::config {
namespace {

std::string sectionDoc(const std::string& section) {
  for (const auto& [name, doc] : sectionDocs())
    if (name == section) return doc;
  return "";
}

// Opens the sections of `key` that `open` does not have yet, printing their headers.
void openSections(const std::string& key, std::vector<std::string>& open, std::string& out) {
  std::vector<std::string> parts;
  for (size_t start = 0, dot; (dot = key.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(key.substr(0, dot));
  size_t common = 0;
  while (common < open.size() && common < parts.size() && open[common] == parts[common]) ++common;
  open.resize(common);
  for (size_t i = common; i < parts.size(); ++i) {
    std::string indent(2 * i, ' ');
    std::string name = parts[i].substr(parts[i].rfind('.') + 1);
    if (i == 0) out += "\n";
    if (auto doc = sectionDoc(parts[i]); !doc.empty()) out += indent + "# " + doc + "\n";
    out += indent + name + ":\n";
    open.push_back(parts[i]);
  }
}

void renderFlavors(const Config& config, std::string& out) {
  out += "\n# " + sectionDoc("flavors") + "\n";
  out += "# Keys of a flavor:";
  for (const auto& s : flavorSettings()) out += " " + s.key;
  out += ".\nflavors:\n";
  for (const auto& [name, flavor] : config.flavors) {
    out += "  " + name + ":\n";
    Flavor defaults;
    for (const auto& s : flavorSettings()) {
      // GPU keys are printed only for GPU flavors, to keep the CPU ones short.
      bool gpuKey = s.key.starts_with("gpu");
      if (gpuKey && flavor.gpus == 0 && s.render(flavor) == s.render(defaults)) continue;
      out += "    " + s.key + ": " + s.render(flavor) + "\n";
    }
  }
}

}  // namespace

std::string renderConfig(const Config& config) {
  std::string out =
      "# spaceletd configuration. Every setting is listed with its default value.\n"
      "# Sizes take units Ki, Mi, Gi, Ti (or K, M, G, T); durations take s, m, h, d.\n"
      "# Settings marked (restart) take effect on restart; the others on SIGHUP\n"
      "# (systemctl reload spaceletd).\n";
  std::vector<std::string> open;
  for (const auto& s : settings()) {
    openSections(s.key, open, out);
    std::string indent(2 * open.size(), ' ');
    if (open.empty()) out += "\n";
    out += indent + "# " + s.doc + (s.reload == Reload::kRestart ? " (restart)" : "") + "\n";
    out += indent + s.key.substr(s.key.rfind('.') + 1) + ": " + s.render(config) + "\n";
  }
  renderFlavors(config, out);
  return out;
}

ReloadPlan planReload(const Config& running, const Config& loaded) {
  ReloadPlan plan{running, {}, {}};
  for (const auto& s : settings()) {
    if (s.render(running) == s.render(loaded)) continue;
    if (s.reload == Reload::kLive) {
      s.copy(loaded, plan.next);
      plan.applied.push_back(s.key);
    } else {
      plan.needRestart.push_back(s.key);
    }
  }
  bool flavorsChanged = running.flavors.size() != loaded.flavors.size() ||
                        !std::equal(running.flavors.begin(), running.flavors.end(),
                                    loaded.flavors.begin(), [](const auto& a, const auto& b) {
                                      if (a.first != b.first) return false;
                                      for (const auto& s : flavorSettings())
                                        if (s.render(a.second) != s.render(b.second)) return false;
                                      return true;
                                    });
  if (flavorsChanged) {
    plan.next.flavors = loaded.flavors;
    plan.applied.push_back("flavors");
  }
  return plan;
}

}  // namespace spacelet::agent::config
