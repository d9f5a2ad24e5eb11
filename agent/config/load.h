// Reading config.yaml into a Config against the settings table, printing a Config back as a
// commented YAML file (the shipped default is exactly renderConfig(Config{})), and planning a
// SIGHUP reload. Errors name the file, the line and the key, and say how to fix the value.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/config/config.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::config {

constexpr const char* kDefaultConfigPath = "/etc/spacelet/config.yaml";

// Parses YAML text; `source` names it in errors (the file path). Every problem found is
// reported, one per line, not just the first.
Result<Config> parseConfig(std::string_view text, const std::string& source);

// Reads and parses a file. When `optional` and the file does not exist, the defaults are used.
Result<Config> loadConfigFile(const std::string& path, bool optional);

// The whole config as YAML with a comment above every section and setting.
std::string renderConfig(const Config& config);

// What a reload changes: `next` is the running config with every changed live setting taken
// from the new file; settings that need a restart keep their running value.
struct ReloadPlan {
  Config next;
  std::vector<std::string> applied;      // keys that changed and were applied
  std::vector<std::string> needRestart;  // keys that changed but need a restart
};
ReloadPlan planReload(const Config& running, const Config& loaded);

}  // namespace spacelet::agent::config
