// buildInventory(): groups each CDI kind's devices by their device-node sets, drops supersets
// ("all", MIG slices), keeps one device per group (a numeric name first) and fills in model
// and uuid from annotations, GPU-<uuid> aliases and the host's own report.
#include "agent/gpu/inventory.h"

#include <algorithm>
#include <cctype>

namespace spacelet::agent::gpu {
namespace {

struct Candidate {
  std::string kind;
  std::string name;  // device name within the kind
  const cdi::Device* device;
  std::vector<std::string> nodes;
};

std::vector<std::string> nodePaths(const cdi::Device& device) {
  std::vector<std::string> paths;
  for (const auto& node : device.edits.deviceNodes) paths.push_back(node.path);
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return paths;
}

bool strictSuperset(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return a.size() > b.size() && std::includes(a.begin(), a.end(), b.begin(), b.end());
}

bool isNumber(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(c); });
}

// Which name of an alias group represents it: numeric names ("0") first, then natural order.
bool preferredName(const std::string& a, const std::string& b) {
  if (isNumber(a) != isNumber(b)) return isNumber(a);
  return naturalLess(a, b);
}

std::string annotation(const cdi::Device& device, const char* key) {
  auto it = device.annotations.find(key);
  return it == device.annotations.end() ? "" : it->second;
}

std::vector<Candidate> candidates(const cdi::Registry& registry) {
  std::vector<Candidate> out;
  for (const auto& qualified : registry.deviceNames()) {
    auto entry = registry.find(qualified);
    auto nodes = nodePaths(*entry->device);
    if (nodes.empty()) continue;  // no device node of its own: not a device to grant
    out.push_back({entry->spec->spec.kind, entry->device->name, entry->device, std::move(nodes)});
  }
  return out;
}

// Drops every candidate whose node set strictly contains another's of the same kind.
std::vector<Candidate> withoutSupersets(std::vector<Candidate> all) {
  std::vector<Candidate> kept;
  for (const auto& c : all) {
    bool superset = std::any_of(all.begin(), all.end(), [&](const Candidate& o) {
      return o.kind == c.kind && strictSuperset(c.nodes, o.nodes);
    });
    if (!superset) kept.push_back(c);
  }
  return kept;
}

Gpu fromGroup(const std::vector<const Candidate*>& group,
              const std::map<std::string, HostGpu>& hostGpus) {
  const Candidate* best = group.front();
  for (const Candidate* c : group)
    if (preferredName(c->name, best->name)) best = c;
  Gpu gpu{best->kind + "=" + best->name, best->kind, "", "", best->nodes};
  for (const Candidate* c : group) {
    if (gpu.model.empty()) gpu.model = annotation(*c->device, kModelAnnotation);
    if (gpu.uuid.empty()) gpu.uuid = annotation(*c->device, kUuidAnnotation);
    if (gpu.uuid.empty() && c->name.starts_with("GPU-")) gpu.uuid = c->name;
  }
  for (const auto& node : gpu.nodes) {
    auto host = hostGpus.find(node);
    if (host == hostGpus.end()) continue;
    if (gpu.model.empty()) gpu.model = host->second.model;
    if (gpu.uuid.empty()) gpu.uuid = host->second.uuid;
  }
  return gpu;
}

}  // namespace

std::vector<Gpu> buildInventory(const cdi::Registry& registry,
                                const std::map<std::string, HostGpu>& hostGpus) {
  auto kept = withoutSupersets(candidates(registry));
  std::vector<bool> used(kept.size(), false);
  std::vector<Gpu> gpus;
  for (size_t i = 0; i < kept.size(); ++i) {
    if (used[i]) continue;
    std::vector<const Candidate*> group;
    for (size_t j = i; j < kept.size(); ++j) {
      if (used[j] || kept[j].kind != kept[i].kind || kept[j].nodes != kept[i].nodes) continue;
      used[j] = true;
      group.push_back(&kept[j]);
    }
    gpus.push_back(fromGroup(group, hostGpus));
  }
  std::sort(gpus.begin(), gpus.end(), [](const Gpu& a, const Gpu& b) {
    return a.kind != b.kind ? a.kind < b.kind : naturalLess(a.name, b.name);
  });
  return gpus;
}

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::string word;
  for (char c : s + " ") {
    if (c == ' ' || c == '-' || c == '_') {
      if (!word.empty()) out.push_back(lower(word));
      word.clear();
    } else {
      word += c;
    }
  }
  return out;
}

}  // namespace

bool modelMatches(const std::string& want, const std::string& have) {
  if (want.empty()) return true;
  if (lower(want) == lower(have)) return true;
  auto haveWords = words(have);
  return std::find(haveWords.begin(), haveWords.end(), lower(want)) != haveWords.end();
}

bool naturalLess(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) &&
        std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t ie = a.find_first_not_of("0123456789", i), je = b.find_first_not_of("0123456789", j);
      std::string na = a.substr(i, ie - i), nb = b.substr(j, je - j);
      na.erase(0, std::min(na.find_first_not_of('0'), na.size() - 1));
      nb.erase(0, std::min(nb.find_first_not_of('0'), nb.size() - 1));
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ie == std::string::npos ? a.size() : ie;
      j = je == std::string::npos ? b.size() : je;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i, ++j;
  }
  return a.size() - i < b.size() - j;
}

}  // namespace spacelet::agent::gpu
