// The Space model: its id (Hugging Face's author/name rules), its stage (Hugging Face's names),
// and the runtime fields the agent reports. Plus the validation rules for what API callers
// send: ids, SDKs, sleep times, secret and variable names. Pure code, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spacelet/base/error.h"

namespace spacelet::agent::store {

// "author/name". Both parts follow Hugging Face's repo-name rules: ASCII letters, digits, '-',
// '_' and '.', 1 to 96 characters, no "--" or "..", not starting or ending with '-' or '.'.
struct SpaceId {
  std::string author;
  std::string name;

  std::string str() const { return author + "/" + name; }
  bool operator==(const SpaceId&) const = default;
  auto operator<=>(const SpaceId&) const = default;
};

constexpr size_t kMaxNameLength = 96;

// Checks one part; `what` is "author" or "name" for the message.
Result<void> validateNamePart(std::string_view part, std::string_view what);
// Parses "author/name".
Result<SpaceId> parseSpaceId(std::string_view text);

enum class Stage {
  kNoAppFile,
  kConfigError,
  kBuilding,
  kBuildError,
  kAppStarting,
  kRunning,
  kRunningBuilding,
  kRunningAppStarting,
  kRuntimeError,
  kPaused,
  kSleeping,
  kStopped,
  kDeleting,
};

std::string_view stageName(Stage stage);  // "NO_APP_FILE", ...
std::optional<Stage> parseStage(std::string_view name);
const std::vector<Stage>& allStages();

// The SDKs a Space may declare.
const std::vector<std::string>& knownSdks();
Result<void> validateSdk(std::string_view sdk);

// -1 (never sleep) or 60 seconds to 365 days.
Result<void> validateSleepTime(int64_t seconds);

// Secret and variable names become environment variables: a letter or '_' first, then
// letters, digits and '_', at most 128; names spacelet sets itself (SPACE_*, SYSTEM, ...) are
// refused.
Result<void> validateEnvKey(std::string_view key);

// A git URL: https://, http://, ssh://, git:// or file:// (or scp-like user@host:path),
// without whitespace or control characters, at most 2048 bytes.
Result<void> validateSourceUrl(std::string_view url);

// A Space and its runtime. Strings are "" when unset (the API shows null).
struct Space {
  SpaceId id;
  std::string sdk;
  std::string source;
  Stage stage = Stage::kNoAppFile;
  std::optional<Stage> stageBeforePause;  // where resume returns to
  std::string hardwareRequested;
  std::string hardwareCurrent;
  int64_t sleepSeconds = -1;
  std::string sha;
  std::string errorMessage;
  std::string address;
  int64_t restarts = 0;
  std::string lastExit;
  int64_t createdAtMs = 0;
  int64_t updatedAtMs = 0;
  int64_t stageChangedAtMs = 0;

  bool operator==(const Space&) const = default;
};

}  // namespace spacelet::agent::store
