// A Space's configuration as its README.md front matter declares it, with Hugging Face's
// defaults (https://huggingface.co/docs/hub/spaces-config-reference), and the checks that turn
// a commit into CONFIG_ERROR (bad YAML, a wrong type or value: the message names the README
// line and the key) or NO_APP_FILE (the file the SDK runs is not in the commit). Pure code.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spacelet/base/error.h"

namespace spacelet::agent::git {

struct SpaceConfig {
  std::string title;
  std::string emoji;
  std::string colorFrom;
  std::string colorTo;
  std::string sdk;  // gradio, streamlit, docker, static
  std::string sdkVersion;
  std::string pythonVersion = "3.10";
  std::string appFile;  // the SDK's default when the README does not say (see defaultAppFile)
  uint16_t appPort = 7860;
  std::string basePath;
  std::chrono::seconds startupDurationTimeout{30 * 60};
  std::map<std::string, std::string> customHeaders;
  std::string suggestedHardware;
  std::string suggestedStorage;
  std::string shortDescription;
  std::string license;
  std::string thumbnail;
  std::string header = "default";  // "default" or "mini"
  std::string appBuildCommand;     // static Spaces: run before serving
  bool pinned = false;
  bool disableEmbedding = false;
  bool fullWidth = false;
  std::vector<std::string> tags;
  std::vector<std::string> models;
  std::vector<std::string> datasets;
  std::vector<std::string> preloadFromHub;
  std::vector<std::string> ignoredKeys;  // keys spacelet does not know (Hub metadata); kept out

  bool operator==(const SpaceConfig&) const = default;
};

// The YAML between a leading "---" line and the next "---" (or "...") line of README.md.
struct FrontMatter {
  std::string yaml;
  int firstLine = 0;  // the README line (1-based) holding the YAML's first line
};

// nullopt when the README does not start with front matter; an error when it starts one and
// never closes it.
Result<std::optional<FrontMatter>> extractFrontMatter(std::string_view readme);

// Parses the front matter. `fallbackSdk` is the SDK the Space was created with; it applies when
// the README does not name one. Errors: "README.md line 4, key 'app_port': ...".
Result<SpaceConfig> parseFrontMatter(const FrontMatter& frontMatter, std::string_view fallbackSdk);

// The whole step: README.md's text (nullopt when the commit has none) to a config.
Result<SpaceConfig> parseReadme(const std::optional<std::string>& readme,
                                std::string_view fallbackSdk);

// gradio/streamlit: app.py; static: index.html; docker: Dockerfile (its "app file").
std::string defaultAppFile(std::string_view sdk);

// NO_APP_FILE: nullopt when the file the SDK needs is in the commit, else the message to show.
// `exists` answers for a repository-relative path.
std::optional<std::string> missingAppFile(const SpaceConfig& config,
                                          const std::function<bool(const std::string&)>& exists);

}  // namespace spacelet::agent::git
