// spacectl logs, events and wait: streamed endpoints read line by line as they arrive.
#include "agent/cli/commands_list.h"

namespace spacelet::agent::cli {
namespace {

std::string eventSummary(const nlohmann::json& e) {
  const auto& data = e["data"];
  std::string type = e.value("type", "");
  if (type == "space.changed" && data.contains("changes")) {
    std::string out;
    for (const auto& [field, change] : data["changes"].items()) {
      out += (out.empty() ? "" : ", ") + field + " " + change["from"].dump() + " -> " +
             change["to"].dump();
    }
    return out;
  }
  if (type == "space.created") {  // the whole Space: its sdk and first stage say enough
    auto text = [&](const char* key) {
      return data.contains(key) && data[key].is_string() ? data[key].get<std::string>() : "-";
    };
    return "sdk " + text("sdk") + ", stage " + text("stage");
  }
  if (type == "space.requested")
    return data.value("action", "") + " by uid " + data.value("by_uid", nlohmann::json(0)).dump();
  if (data.contains("key")) return data["key"].get<std::string>();
  return data.empty() ? "" : data.dump();
}

// Streams path to stdout; lines are JSON, empty lines are keep-alives.
int streamLines(Context& ctx, const std::string& path,
                const std::function<void(const nlohmann::json&)>& human) {
  auto result = ctx.client.stream(
      path,
      [&](const std::string& line) {
        if (line.empty()) return true;
        if (ctx.json) {
          ctx.out << line << "\n" << std::flush;
          return true;
        }
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded())
          ctx.out << line << "\n";
        else
          human(j);
        ctx.out << std::flush;
        return true;
      },
      std::nullopt);
  if (!result) return reportError(ctx, result.error());
  if (result->status < 200 || result->status >= 300) return reportHttpError(ctx, *result);
  return kExitOk;
}

int logs(Context& ctx, const ParsedArgs& a) {
  std::string path =
      spacePath(a.positionals[0]) + "/logs?kind=" + (a.has("--build") ? "build" : "run");
  if (a.has("--tail")) path += "&tail=" + escapeSegment(a.get("--tail"));
  if (a.has("--follow")) path += "&follow=1";
  return streamLines(ctx, path, [&](const nlohmann::json& j) {
    if (j.contains("error"))
      ctx.err << "spacectl: " << j["error"].value("message", "") << "\n";
    else
      ctx.out << j.value("data", "") << "\n";
  });
}

int events(Context& ctx, const ParsedArgs& a) {
  std::string path = "/v1/events?follow=" + std::string(a.has("--follow") ? "1" : "0");
  if (a.has("--space")) path += "&space=" + escapeSegment(a.get("--space"));
  if (a.has("--since")) path += "&since=" + escapeSegment(a.get("--since"));
  if (a.has("--tail")) path += "&tail=" + escapeSegment(a.get("--tail"));
  return streamLines(ctx, path, [&](const nlohmann::json& e) {
    std::string space = e["space"].is_string() ? e["space"].get<std::string>() : "-";
    ctx.out << e.value("time", "") << "  " << e.value("seq", 0) << "  " << e.value("type", "")
            << "  " << space << "  " << eventSummary(e) << "\n";
  });
}

}  // namespace

int waitForStage(Context& ctx, const ParsedArgs& a);

std::vector<Command> streamCommands() {
  return {
      {"logs",
       "ID",
       "Show a Space's run log (or --build log).",
       "",
       {{"--build", "", "", "the build log instead of the run log"},
        {"--follow", "-f", "", "keep printing new lines as they are written"},
        {"--tail", "", "N", "start with the last N lines"}},
       1,
       1,
       logs},
      {"events",
       "",
       "Show recent events; with -f keep printing them as they happen.",
       "",
       {{"--follow", "-f", "", "stay connected and print new events"},
        {"--space", "", "ID", "only this Space's events"},
        {"--since", "", "SEQ", "events after this sequence number"},
        {"--tail", "", "N", "the last N events first (default 100 without -f)"}},
       0,
       0,
       events},
      {"wait",
       "ID",
       "Wait until a Space reaches a stage (default RUNNING).",
       "Exits 0 when the stage is reached, 7 on timeout, 8 when the Space lands in an *_ERROR\n"
       "stage instead (its error message is printed) or is deleted.",
       {{"--stage", "", "S", "the stage to wait for, e.g. RUNNING, PAUSED, NO_APP_FILE"},
        {"--timeout", "", "SECONDS", "give up after this long (default 300; 0: never)"}},
       1,
       1,
       waitForStage},
  };
}

}  // namespace spacelet::agent::cli
