// spacectl wait: the current stage, then the Space's events from that moment on, until the
// wanted stage, an error stage, deletion, or the timeout. Reading the last event's sequence
// number before the runtime, and following from it, leaves no gap where a change could be
// missed.
#include <chrono>

#include "agent/cli/commands_list.h"
#include "agent/store/space.h"

namespace spacelet::agent::cli {
namespace {

using Clock = std::chrono::steady_clock;

bool isErrorStage(const std::string& stage) {
  return stage.ends_with("_ERROR");
}

// The sequence number of the Space's newest event (0 when it has none).
Result<int64_t> lastSeq(Context& ctx, const std::string& id) {
  int64_t seq = 0;
  auto r = ctx.client.stream(
      "/v1/events?tail=1&space=" + escapeSegment(id),
      [&](const std::string& line) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_object() && j.contains("seq")) seq = j["seq"].get<int64_t>();
        return true;
      },
      std::nullopt);
  if (!r) return fail(std::move(r).error());
  if (r->status != 200) return fail(Error{EIO, r->body});
  return seq;
}

// Whether `stage` ends the wait, and with which exit code.
std::optional<int> verdict(Context& ctx, const std::string& id, const std::string& want,
                           const std::string& stage, const std::string& error) {
  if (stage == want) {
    ctx.out << id << ": " << stage << "\n";
    return kExitOk;
  }
  if (isErrorStage(stage)) {
    ctx.err << "spacectl: " << id << " is " << stage << (error.empty() ? "" : ": " + error) << "\n";
    return kExitStageError;
  }
  return std::nullopt;
}

}  // namespace

int waitForStage(Context& ctx, const ParsedArgs& a) {
  const std::string& id = a.positionals[0];
  std::string want = a.get("--stage", "RUNNING");
  if (!store::parseStage(want)) {
    ctx.err
        << "spacectl wait: '" << want << "' is not a stage; stages are NO_APP_FILE, CONFIG_ERROR, "
        << "BUILDING, BUILD_ERROR, APP_STARTING, RUNNING, RUNNING_BUILDING, RUNNING_APP_STARTING, "
        << "RUNTIME_ERROR, PAUSED, SLEEPING, STOPPED, DELETING\n";
    return kExitUsage;
  }
  int64_t timeout = 300;
  try {
    timeout = std::stoll(a.get("--timeout", "300"));
  } catch (const std::exception&) {
    timeout = -1;
  }
  if (timeout < 0) {
    ctx.err << "spacectl wait: --timeout takes whole seconds (0: never)\n";
    return kExitUsage;
  }
  std::optional<Clock::time_point> deadline;
  if (timeout > 0) deadline = Clock::now() + std::chrono::seconds(timeout);
  auto seq = lastSeq(ctx, id);
  if (!seq) return reportError(ctx, seq.error());
  auto now = ctx.client.request("GET", spacePath(id));
  if (!now) return reportError(ctx, now.error());
  if (now->status != 200) return reportHttpError(ctx, *now);
  auto runtime = nlohmann::json::parse(now->body, nullptr, false);
  std::string stage = runtime.value("stage", "");
  if (auto v = verdict(
          ctx, id, want, stage,
          runtime["error_message"].is_string() ? runtime["error_message"].get<std::string>() : ""))
    return *v;
  std::optional<int> outcome;
  std::string path =
      "/v1/events?follow=1&space=" + escapeSegment(id) + "&since=" + std::to_string(*seq);
  auto streamed = ctx.client.stream(
      path,
      [&](const std::string& line) {
        auto e = nlohmann::json::parse(line, nullptr, false);
        if (!e.is_object()) return true;  // keep-alive
        if (e.value("type", "") == "space.deleted") {
          ctx.err << "spacectl: " << id << " was deleted\n";
          outcome = kExitStageError;
          return false;
        }
        if (e.value("type", "") != "space.changed") return true;
        const auto& changes = e["data"]["changes"];
        std::string error =
            changes.contains("error_message") && changes["error_message"]["to"].is_string()
                ? changes["error_message"]["to"].get<std::string>()
                : "";
        outcome = verdict(ctx, id, want, e["data"].value("stage", ""), error);
        return !outcome.has_value();
      },
      deadline);
  if (!streamed) {
    if (streamed.error().code == ETIMEDOUT) {
      ctx.err << "spacectl: " << id << " did not reach " << want << " within " << timeout << "s\n";
      return kExitTimedOut;
    }
    return reportError(ctx, streamed.error());
  }
  if (outcome) return *outcome;
  if (streamed->status != 200) return reportHttpError(ctx, *streamed);
  ctx.err << "spacectl: the agent ended the event stream before " << id << " reached " << want
          << "\n";
  return kExitFailed;
}

}  // namespace spacelet::agent::cli
