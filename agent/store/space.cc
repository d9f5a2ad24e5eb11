// Validation rules and stage names of the Space model (see space.h).
#include "agent/store/space.h"

#include <algorithm>
#include <array>

namespace spacelet::agent::store {
namespace {

constexpr std::array<std::string_view, 13> kStageNames = {
    "NO_APP_FILE",   "CONFIG_ERROR", "BUILDING",         "BUILD_ERROR",
    "APP_STARTING",  "RUNNING",      "RUNNING_BUILDING", "RUNNING_APP_STARTING",
    "RUNTIME_ERROR", "PAUSED",       "SLEEPING",         "STOPPED",
    "DELETING"};

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

// Quotes a user value for a message, showing control characters and NUL as escapes.
std::string show(std::string_view text) {
  std::string out = "'";
  for (unsigned char c : text.substr(0, 120)) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + (text.size() > 120 ? "...'" : "'");
}

}  // namespace

Result<void> validateNamePart(std::string_view part, std::string_view what) {
  std::string prefix = "Space " + std::string(what) + " " + show(part) + " ";
  if (part.empty()) return failInvalid("Space " + std::string(what) + " is empty");
  if (part.size() > kMaxNameLength) return failInvalid(prefix + "is longer than 96 characters");
  if (!std::all_of(part.begin(), part.end(), isNameChar))
    return failInvalid(prefix + "may only use letters, digits, '-', '_' and '.'");
  if (part.find("--") != std::string_view::npos || part.find("..") != std::string_view::npos)
    return failInvalid(prefix + "must not contain '--' or '..'");
  if (part.front() == '-' || part.front() == '.' || part.back() == '-' || part.back() == '.')
    return failInvalid(prefix + "must not start or end with '-' or '.'");
  return {};
}

Result<SpaceId> parseSpaceId(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos || text.find('/', slash + 1) != std::string_view::npos) {
    return failInvalid("Space id " + show(text) + " must be 'author/name', like 'alice/demo'");
  }
  SpaceId id{std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
  SPACELET_TRY(validateNamePart(id.author, "author"));
  SPACELET_TRY(validateNamePart(id.name, "name"));
  return id;
}

std::string_view stageName(Stage stage) {
  return kStageNames[static_cast<size_t>(stage)];
}

std::optional<Stage> parseStage(std::string_view name) {
  for (size_t i = 0; i < kStageNames.size(); ++i)
    if (kStageNames[i] == name) return static_cast<Stage>(i);
  return std::nullopt;
}

const std::vector<Stage>& allStages() {
  static const std::vector<Stage> stages = [] {
    std::vector<Stage> out;
    for (size_t i = 0; i < kStageNames.size(); ++i) out.push_back(static_cast<Stage>(i));
    return out;
  }();
  return stages;
}

const std::vector<std::string>& knownSdks() {
  static const std::vector<std::string> sdks = {"gradio", "streamlit", "docker", "static"};
  return sdks;
}

Result<void> validateSdk(std::string_view sdk) {
  for (const auto& s : knownSdks())
    if (s == sdk) return {};
  return failInvalid("sdk " + show(sdk) +
                     " is not one of 'gradio', 'streamlit', 'docker', 'static'");
}

Result<void> validateSleepTime(int64_t seconds) {
  if (seconds == -1 || (seconds >= 60 && seconds <= 365 * 86400)) return {};
  return failInvalid("sleep time " + std::to_string(seconds) +
                     " is not valid; use -1 (never sleep) or 60 to 31536000 seconds");
}

Result<void> validateEnvKey(std::string_view key) {
  if (key.empty()) return failInvalid("key is empty");
  if (key.size() > 128) return failInvalid("key " + show(key) + " is longer than 128 characters");
  bool first =
      (key[0] >= 'A' && key[0] <= 'Z') || (key[0] >= 'a' && key[0] <= 'z') || key[0] == '_';
  bool rest = std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (!first || !rest) {
    return failInvalid("key " + show(key) +
                       " must start with a letter or '_' and use only letters, digits and '_'");
  }
  static constexpr std::array<std::string_view, 8> kReserved = {
      "SYSTEM", "CPU_CORES", "MEMORY", "ACCELERATOR", "GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT",
      "HOME",   "PATH"};
  bool reserved = key.starts_with("SPACE_") ||
                  std::find(kReserved.begin(), kReserved.end(), key) != kReserved.end();
  if (reserved)
    return failInvalid("key " + show(key) + " is set by spacelet itself; choose another name");
  return {};
}

Result<void> validateSourceUrl(std::string_view url) {
  if (url.empty() || url.size() > 2048)
    return failInvalid("source URL must be 1 to 2048 bytes long");
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f)
      return failInvalid("source URL " + show(url) + " contains whitespace or a control character");
  }
  for (std::string_view scheme : {"https://", "http://", "ssh://", "git://", "file:///"})
    if (url.starts_with(scheme) && url.size() > scheme.size()) return {};
  size_t at = url.find('@'), colon = url.find(':');
  if (at != std::string_view::npos && colon != std::string_view::npos && at < colon &&
      url.find("://") == std::string_view::npos && colon + 1 < url.size()) {
    return {};  // scp-like: git@host:path
  }
  return failInvalid("source URL " + show(url) +
                     " is not a git URL; use https://, ssh://, git://, file:/// or user@host:path");
}

}  // namespace spacelet::agent::store
