// The YAML walk behind parseConfig: every key is either a setting in the table, a section that
// contains settings, or `flavors`; anything else is an error with a "did you mean". Also the
// renderer of the commented default file and the reload planner.
#include "agent/config/load.h"

#include <fcntl.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <set>

#include "agent/config/settings.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::config {
namespace {

// Collects every problem with its line, so one run of the agent shows them all.
struct Problems {
  std::string source;
  std::vector<std::string> lines;
  void add(int line, const std::string& key, const std::string& message) {
    std::string where = "config '" + source + "'";
    if (line > 0) where += " line " + std::to_string(line);
    lines.push_back(where + ": '" + key + "': " + message);
  }
};

int lineOf(const YAML::Node& node) {
  return node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
}

size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string suggestion(const std::string& key, const std::vector<std::string>& known) {
  std::string best;
  size_t bestDistance = 4;
  for (const auto& k : known) {
    size_t d = editDistance(key, k);
    if (d < bestDistance) bestDistance = d, best = k;
  }
  return best.empty() ? "" : "; did you mean '" + best + "'?";
}

std::vector<std::string> configKeys() {
  std::vector<std::string> keys = {"flavors"};
  for (const auto& s : settings()) keys.push_back(s.key);
  return keys;
}

bool isSection(const std::string& prefix) {
  return std::any_of(settings().begin(), settings().end(),
                     [&](const auto& s) { return s.key.starts_with(prefix + "."); });
}

template <typename Root>
const Setting<Root>* findSetting(const std::vector<Setting<Root>>& table, const std::string& key) {
  for (const auto& s : table)
    if (s.key == key) return &s;
  return nullptr;
}

// Walks one flavor's map against the per-flavor table.
void parseFlavor(const YAML::Node& node, const std::string& name, Flavor& flavor, Problems& p) {
  std::vector<std::string> known;
  for (const auto& s : flavorSettings()) known.push_back(s.key);
  for (const auto& item : node) {
    std::string key = item.first.Scalar();
    std::string full = "flavors." + name + "." + key;
    const auto* setting = findSetting(flavorSettings(), key);
    if (!setting) {
      p.add(lineOf(item.first), full, "unknown key" + suggestion(key, known));
      continue;
    }
    if (auto r = setting->parse(item.second, flavor); !r)
      p.add(lineOf(item.first), full, r.error().message);
  }
}

bool validFlavorName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name.front() == '-' || name.back() == '-') return false;
  return name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
}

void parseFlavors(const YAML::Node& node, int line, Config& config, Problems& p) {
  if (!node.IsMap()) {
    p.add(line, "flavors", "expected a map of flavor name to its settings");
    return;
  }
  config.flavors.clear();
  for (const auto& item : node) {
    std::string name = item.first.Scalar();
    if (!validFlavorName(name)) {
      p.add(lineOf(item.first), "flavors." + name,
            "flavor names use lowercase letters, digits and '-' (at most 64), like 't4-small'");
      continue;
    }
    if (!item.second.IsMap()) {
      p.add(lineOf(item.first), "flavors." + name, "expected a map with cpus, memory, ...");
      continue;
    }
    parseFlavor(item.second, name, config.flavors[name], p);
  }
}

void walk(const YAML::Node& map, const std::string& prefix, Config& config,
          std::map<std::string, int>& lines, Problems& p) {
  for (const auto& item : map) {
    std::string key = item.first.IsScalar() ? item.first.Scalar() : "?";
    std::string full = prefix.empty() ? key : prefix + "." + key;
    int line = lineOf(item.first);
    if (auto [it, fresh] = lines.emplace(full, line); !fresh) {
      p.add(line, full, "appears twice (first on line " + std::to_string(it->second) + ")");
      continue;
    }
    if (full == "flavors") {
      parseFlavors(item.second, line, config, p);
    } else if (const auto* setting = findSetting(settings(), full)) {
      if (auto r = setting->parse(item.second, config); !r) p.add(line, full, r.error().message);
    } else if (isSection(full)) {
      if (item.second.IsMap()) {
        walk(item.second, full, config, lines, p);
      } else if (!item.second.IsNull()) {
        p.add(line, full, "is a section; expected a map of its settings");
      }
    } else {
      p.add(line, full, "unknown key" + suggestion(full, configKeys()));
    }
  }
}

Result<YAML::Node> parseYaml(std::string_view text, const std::string& source) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return failInvalid("config '" + source + "' line " + std::to_string(e.mark.line + 1) +
                       " column " + std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
  }
}

}  // namespace

Result<Config> parseConfig(std::string_view text, const std::string& source) {
  auto root = parseYaml(text, source);
  if (!root) return fail(std::move(root).error());
  Config config;
  if (root->IsNull()) return config;  // an empty file: every default
  if (!root->IsMap()) {
    return failInvalid("config '" + source + "': expected a map of settings at the top level");
  }
  Problems problems{source, {}};
  std::map<std::string, int> lines;
  walk(*root, "", config, lines, problems);
  if (problems.lines.empty()) {
    for (const auto& e : crossCheck(config)) {
      auto it = lines.find(e.key);
      problems.add(it == lines.end() ? 0 : it->second, e.key, e.message);
    }
  }
  if (problems.lines.empty()) return config;
  std::string message;
  for (const auto& l : problems.lines) message += (message.empty() ? "" : "\n") + l;
  return failInvalid(message);
}

Result<Config> loadConfigFile(const std::string& path, bool optional) {
  auto text = readFileAt(AT_FDCWD, path);
  if (!text) {
    if (optional && text.error().code == ENOENT) return Config{};
    return fail(std::move(text).error().withContext("read config"));
  }
  return parseConfig(*text, path);
}

}  // namespace spacelet::agent::config
