// Which stage a Space shows while its deployments move along (Hugging Face's names): a first
// deployment goes BUILDING -> APP_STARTING -> RUNNING; with a deployment already serving, the
// next one shows RUNNING_BUILDING -> RUNNING_APP_STARTING and a failure falls back to RUNNING
// (the old one keeps serving; the error is recorded). Also the texts users read: exit reasons,
// "Memory limit exceeded (16Gi)", error messages with the log's last lines. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/store/space.h"

namespace spacelet::agent::supervisor {

using store::Stage;

enum class Step { kBuild, kStart };

// The stage while a deployment is at `step`, given whether another one serves.
Stage progressStage(Step step, bool serving);

// Why a deployment failed, as a stage of its own (when nothing serves).
enum class Failure { kConfig, kNoAppFile, kBuild, kStart };
Stage failureStage(Failure failure);
// The stage after a failed deployment: the failure's stage, or RUNNING when one still serves.
Stage stageAfterFailure(Failure failure, bool serving);

// How an app process ended, for the runtime's last exit and error messages:
// "exit code 1", "killed by signal 9 (SIGKILL)", "Memory limit exceeded (16Gi)".
std::string exitReason(bool signaled, int value, bool oomKilled, int64_t memoryBytes);

// "<what>\n\nLast log lines:\n<line>\n..." — each stored log line reduced to its text.
std::string withLogTail(std::string_view what, const std::vector<std::string>& logLines);

// The text of stored log lines ({"timestamp","data"} JSON); other lines are kept as they are.
std::vector<std::string> logTexts(const std::vector<std::string>& storedLines);

}  // namespace spacelet::agent::supervisor
