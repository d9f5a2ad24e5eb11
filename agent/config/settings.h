// The table of every setting in config.yaml: its dotted key, what it means, whether SIGHUP
// can change it, and how to read, print and copy its value. Adding a setting is one line in
// settings.cc (plus the member and its default in config.h). The loader, the reload diff,
// the shipped default file and docs/operations.md are all driven by this table.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <vector>

#include "agent/config/config.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::config {

enum class Reload {
  kLive,     // SIGHUP applies it
  kRestart,  // SIGHUP reports that it needs a restart and keeps the running value
};

// One setting of a Root (Config, or a Flavor for the per-flavor keys).
template <typename Root>
struct Setting {
  std::string key;  // dotted path in the YAML file: "paths.state_dir"
  std::string doc;  // one line, printed as the comment above it in the default file
  Reload reload = Reload::kLive;
  // Reads and validates the node into root. Errors say what is wrong with the value and how to
  // fix it; the loader prefixes the file, line and key.
  std::function<Result<void>(const YAML::Node&, Root&)> parse;
  std::function<std::string(const Root&)> render;  // the value as YAML text
  std::function<void(const Root& from, Root& to)> copy;
};

const std::vector<Setting<Config>>& settings();
const std::vector<Setting<Flavor>>& flavorSettings();

// Comments printed above each section of the default file ("paths", "builds.base_images").
const std::vector<std::pair<std::string, std::string>>& sectionDocs();

// Checks that involve several settings (the default flavor exists, watermarks are ordered...).
// The error names the key to fix as `key`.
struct CrossCheckError {
  std::string key;
  std::string message;
};
std::vector<CrossCheckError> crossCheck(const Config& config);

// A YAML scalar for a string: bare when that reads back unchanged, double-quoted otherwise.
std::string yamlQuote(const std::string& value);

}  // namespace spacelet::agent::config
