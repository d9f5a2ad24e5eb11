// README front matter to SpaceConfig: one table row per key, each a small parser that
// validates its node and names the README line and key when it refuses (see space_config.h).
#include "agent/git/space_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <sstream>

#include "agent/config/units.h"

namespace spacelet::agent::git {
namespace {

const std::vector<std::string> kSdks = {"gradio", "streamlit", "docker", "static"};
const std::vector<std::string> kColors = {"red",    "yellow", "green", "blue",
                                          "indigo", "purple", "pink",  "gray"};
const std::vector<std::string> kHeaders = {"default", "mini"};
const std::vector<std::string> kStorage = {"small", "medium", "large"};
// The only response headers a Space may set, with their allowed values (as on the Hub).
const std::map<std::string, std::vector<std::string>> kCustomHeaders = {
    {"cross-origin-embedder-policy", {"unsafe-none", "require-corp", "credentialless"}},
    {"cross-origin-opener-policy", {"same-origin", "same-origin-allow-popups", "unsafe-none"}},
    {"cross-origin-resource-policy", {"same-site", "same-origin", "cross-origin"}},
};
constexpr size_t kMaxShortDescription = 60;

// Where a node is: its README line, for messages.
struct Context {
  int firstLine = 0;
  std::string key;
  int line(const YAML::Node& node) const { return firstLine + node.Mark().line; }
  Unexpected error(const YAML::Node& node, const std::string& what) const {
    return failInvalid("README.md line " + std::to_string(line(node)) + ", key '" + key +
                       "': " + what);
  }
};

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

Result<std::string> scalar(const Context& c, const YAML::Node& node) {
  if (!node.IsScalar()) return c.error(node, "expected a string");
  return node.Scalar();
}

Result<std::string> choice(const Context& c, const YAML::Node& node,
                           const std::vector<std::string>& values) {
  auto text = scalar(c, node);
  if (!text) return text;
  if (std::find(values.begin(), values.end(), *text) == values.end()) {
    return c.error(node, "'" + *text + "' is not one of: " + joined(values));
  }
  return text;
}

Result<bool> boolean(const Context& c, const YAML::Node& node) {
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    return c.error(node, "expected true or false, got '" + YAML::Dump(node) + "'");
  }
  return value;
}

// A list of strings; a single string is taken as a list of one.
Result<std::vector<std::string>> stringList(const Context& c, const YAML::Node& node) {
  if (node.IsScalar()) return std::vector<std::string>{node.Scalar()};
  if (!node.IsSequence()) return c.error(node, "expected a list of strings");
  std::vector<std::string> out;
  for (const auto& item : node) {
    if (!item.IsScalar()) return c.error(item, "expected a list of strings");
    out.push_back(item.Scalar());
  }
  return out;
}

// A repository-relative path that stays inside the repository.
Result<std::string> relativePath(const Context& c, const YAML::Node& node) {
  auto text = scalar(c, node);
  if (!text) return text;
  std::string path = *text;
  bool escapes = path.empty() || path[0] == '/' || path == ".." || path.rfind("../", 0) == 0 ||
                 path.find("/../") != std::string::npos ||
                 (path.size() >= 3 && path.compare(path.size() - 3, 3, "/..") == 0);
  if (escapes) {
    return c.error(node, "'" + path + "' must be a path inside the repository, like 'app.py'");
  }
  return path;
}

using Parser = std::function<Result<void>(const Context&, const YAML::Node&, SpaceConfig&)>;

// Adapts "parse a value, store it in a field" into a Parser.
template <typename Parse, typename Field>
Parser into(Parse parse, Field SpaceConfig::*field) {
  return [parse, field](const Context& c, const YAML::Node& n, SpaceConfig& cfg) -> Result<void> {
    auto value = parse(c, n);
    if (!value) return fail(std::move(value).error());
    cfg.*field = std::move(*value);
    return {};
  };
}

auto oneOf(const std::vector<std::string>& values) {
  return [&values](const Context& c, const YAML::Node& n) { return choice(c, n, values); };
}

Result<void> parseAppPort(const Context& c, const YAML::Node& node, SpaceConfig& cfg) {
  auto value = node.IsScalar() ? config::parseInteger(node.Scalar()) : std::nullopt;
  if (!value || *value < 1 || *value > 65535) {
    return c.error(node, "expected a port number from 1 to 65535, got '" + YAML::Dump(node) + "'");
  }
  cfg.appPort = static_cast<uint16_t>(*value);
  return {};
}

Result<void> parseBasePath(const Context& c, const YAML::Node& node, SpaceConfig& cfg) {
  auto text = scalar(c, node);
  if (!text) return fail(std::move(text).error());
  if (text->empty() || (*text)[0] != '/') {
    return c.error(node, "'" + *text + "' must start with '/', like '/app'");
  }
  cfg.basePath = *text;
  return {};
}

Result<void> parseTimeout(const Context& c, const YAML::Node& node, SpaceConfig& cfg) {
  auto seconds = node.IsScalar() ? config::parseSeconds(node.Scalar()) : std::nullopt;
  if (!seconds || *seconds == 0) {
    return c.error(node, "expected a duration like '30m' or '1h', got '" + YAML::Dump(node) + "'");
  }
  cfg.startupDurationTimeout = std::chrono::seconds(*seconds);
  return {};
}

Result<void> parseShortDescription(const Context& c, const YAML::Node& node, SpaceConfig& cfg) {
  auto text = scalar(c, node);
  if (!text) return fail(std::move(text).error());
  if (text->size() > kMaxShortDescription) {
    return c.error(node, "is " + std::to_string(text->size()) + " characters; at most " +
                             std::to_string(kMaxShortDescription) + " are allowed");
  }
  cfg.shortDescription = *text;
  return {};
}

Result<void> parseCustomHeaders(const Context& c, const YAML::Node& node, SpaceConfig& cfg) {
  if (!node.IsMap()) return c.error(node, "expected a mapping of header names to values");
  for (const auto& item : node) {
    std::string name = item.first.Scalar();
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    auto allowed = kCustomHeaders.find(name);
    if (allowed == kCustomHeaders.end()) {
      std::vector<std::string> names;
      for (const auto& [n, _] : kCustomHeaders) names.push_back(n);
      return c.error(item.first, "header '" + item.first.Scalar() +
                                     "' cannot be set; allowed headers: " + joined(names));
    }
    auto value = choice(c, item.second, allowed->second);
    if (!value) return fail(std::move(value).error());
    cfg.customHeaders[name] = *value;
  }
  return {};
}

const std::map<std::string, Parser>& keyTable() {
  static const std::map<std::string, Parser> table = {
      {"title", into(scalar, &SpaceConfig::title)},
      {"emoji", into(scalar, &SpaceConfig::emoji)},
      {"colorFrom", into(oneOf(kColors), &SpaceConfig::colorFrom)},
      {"colorTo", into(oneOf(kColors), &SpaceConfig::colorTo)},
      {"sdk", into(oneOf(kSdks), &SpaceConfig::sdk)},
      {"sdk_version", into(scalar, &SpaceConfig::sdkVersion)},
      {"python_version", into(scalar, &SpaceConfig::pythonVersion)},
      {"app_file", into(relativePath, &SpaceConfig::appFile)},
      {"app_port", parseAppPort},
      {"base_path", parseBasePath},
      {"startup_duration_timeout", parseTimeout},
      {"custom_headers", parseCustomHeaders},
      {"suggested_hardware", into(scalar, &SpaceConfig::suggestedHardware)},
      {"suggested_storage", into(oneOf(kStorage), &SpaceConfig::suggestedStorage)},
      {"short_description", parseShortDescription},
      {"license", into(scalar, &SpaceConfig::license)},
      {"thumbnail", into(scalar, &SpaceConfig::thumbnail)},
      {"header", into(oneOf(kHeaders), &SpaceConfig::header)},
      {"app_build_command", into(scalar, &SpaceConfig::appBuildCommand)},
      {"pinned", into(boolean, &SpaceConfig::pinned)},
      {"disable_embedding", into(boolean, &SpaceConfig::disableEmbedding)},
      {"fullWidth", into(boolean, &SpaceConfig::fullWidth)},
      {"tags", into(stringList, &SpaceConfig::tags)},
      {"models", into(stringList, &SpaceConfig::models)},
      {"datasets", into(stringList, &SpaceConfig::datasets)},
      {"preload_from_hub", into(stringList, &SpaceConfig::preloadFromHub)},
  };
  return table;
}

// The top-level key whose value the front matter's line `index` (0-based) belongs to: the
// last line at or above it that starts with a key. yaml-cpp names no key in syntax errors,
// and reports an unclosed value where the front matter ends, lines below its key.
std::optional<std::pair<std::string, int>> keyHolding(const std::string& yaml, int index) {
  std::optional<std::pair<std::string, int>> found;
  std::istringstream lines(yaml);
  std::string line;
  for (int i = 0; i <= index && std::getline(lines, line); ++i) {
    size_t colon = line.find(':');
    bool startsKey =
        !line.empty() && (std::isalnum(static_cast<unsigned char>(line[0])) || line[0] == '_');
    if (startsKey && colon != std::string::npos && line.find_first_of(" \t#\"'[{", 0) > colon) {
      found = std::pair{line.substr(0, colon), i};
    }
  }
  return found;
}

Result<YAML::Node> loadYaml(const FrontMatter& fm) {
  try {
    return YAML::Load(fm.yaml);
  } catch (const YAML::Exception& e) {
    int index = e.mark.is_null() ? 0 : e.mark.line;
    std::string where = "README.md line " + std::to_string(fm.firstLine + index);
    if (auto key = keyHolding(fm.yaml, index)) {
      where += key->second == index ? ", key '" + key->first + "'"
                                    : ", in key '" + key->first + "' (from line " +
                                          std::to_string(fm.firstLine + key->second) + ")";
    }
    return failInvalid(where + ": the front matter is not valid YAML: " + e.msg);
  }
}

Result<void> applyKeys(const FrontMatter& fm, const YAML::Node& root, SpaceConfig& cfg) {
  std::map<std::string, int> seen;
  for (const auto& item : root) {
    Context c{fm.firstLine, item.first.IsScalar() ? item.first.Scalar() : YAML::Dump(item.first)};
    if (auto [at, fresh] = seen.emplace(c.key, c.line(item.first)); !fresh) {
      return c.error(item.first,
                     "appears twice (first on line " + std::to_string(at->second) + "); keep one");
    }
    auto parser = keyTable().find(c.key);
    if (parser == keyTable().end()) {
      cfg.ignoredKeys.push_back(c.key);
      continue;
    }
    SPACELET_TRY(parser->second(c, item.second, cfg));
  }
  return {};
}

}  // namespace

std::string defaultAppFile(std::string_view sdk) {
  if (sdk == "static") return "index.html";
  if (sdk == "docker") return "Dockerfile";
  return "app.py";
}

Result<std::optional<FrontMatter>> extractFrontMatter(std::string_view readme) {
  if (readme.substr(0, 3) == "\xEF\xBB\xBF") readme.remove_prefix(3);  // a UTF-8 BOM
  auto lineAt = [&](size_t pos) {
    size_t end = readme.find('\n', pos);
    std::string_view line = readme.substr(pos, end == std::string_view::npos ? end : end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return std::pair{line, end == std::string_view::npos ? readme.size() : end + 1};
  };
  auto [first, next] = lineAt(0);
  if (first != "---") return std::optional<FrontMatter>();
  size_t start = next;
  for (size_t pos = start; pos < readme.size();) {
    auto [line, after] = lineAt(pos);
    if (line == "---" || line == "...") {
      return std::optional<FrontMatter>(
          FrontMatter{std::string(readme.substr(start, pos - start)), 2});
    }
    pos = after;
  }
  return failInvalid(
      "README.md line 1 opens the front matter with '---' but no later line closes it: add a "
      "'---' line after the last key");
}

Result<SpaceConfig> parseFrontMatter(const FrontMatter& fm, std::string_view fallbackSdk) {
  auto root = loadYaml(fm);
  if (!root) return fail(std::move(root).error());
  SpaceConfig cfg;
  if (root->IsMap()) {
    SPACELET_TRY(applyKeys(fm, *root, cfg));
  } else if (!root->IsNull()) {
    return failInvalid("README.md line " + std::to_string(fm.firstLine) +
                       ": the front matter must be a mapping of keys, like 'sdk: static'");
  }
  if (cfg.sdk.empty()) cfg.sdk = std::string(fallbackSdk);
  if (cfg.sdk.empty()) {
    return failInvalid("README.md does not say which sdk the Space uses: add 'sdk: <one of " +
                       joined(kSdks) + ">' to its front matter");
  }
  if (std::find(kSdks.begin(), kSdks.end(), cfg.sdk) == kSdks.end()) {
    return failInvalid("the Space's sdk '" + cfg.sdk + "' is not one of: " + joined(kSdks));
  }
  if (cfg.appFile.empty()) cfg.appFile = defaultAppFile(cfg.sdk);
  return cfg;
}

Result<SpaceConfig> parseReadme(const std::optional<std::string>& readme,
                                std::string_view fallbackSdk) {
  std::optional<FrontMatter> fm;
  if (readme) {
    auto extracted = extractFrontMatter(*readme);
    if (!extracted) return fail(std::move(extracted).error());
    fm = std::move(*extracted);
  }
  if (!fm) {
    if (fallbackSdk.empty()) {
      return failInvalid(
          "README.md has no front matter naming the sdk: start it with the lines "
          "'---', 'sdk: static' (or gradio, streamlit, docker), '---'");
    }
    fm = FrontMatter{"", 2};
  }
  return parseFrontMatter(*fm, fallbackSdk);
}

std::optional<std::string> missingAppFile(const SpaceConfig& config,
                                          const std::function<bool(const std::string&)>& exists) {
  if (config.sdk == "docker") {
    if (exists("Dockerfile")) return std::nullopt;
    return std::string("sdk 'docker' needs a Dockerfile at the repository's root; add one");
  }
  // A static Space with a build command produces its app file when it builds.
  if (config.sdk == "static" && !config.appBuildCommand.empty()) return std::nullopt;
  if (exists(config.appFile)) return std::nullopt;
  return "app_file '" + config.appFile + "' is not in the repository: add it, or set app_file in " +
         "README.md's front matter to the file that starts the app";
}

}  // namespace spacelet::agent::git
