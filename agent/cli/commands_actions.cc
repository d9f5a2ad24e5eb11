// spacectl restart, pause, resume, hardware, sleep-time (notify is in commands_git.cc).
#include "agent/cli/commands_list.h"

namespace spacelet::agent::cli {
namespace {

int action(Context& ctx, const std::string& id, const std::string& method, const std::string& what,
           const nlohmann::json& body) {
  std::string path = spacePath(id) + "/" + what;
  return simpleRequest(
      ctx, method, path, body.is_null() ? "" : body.dump(),
      [&](const nlohmann::json& j) { ctx.out << id << ": " << j.value("stage", "?") << "\n"; });
}

int restart(Context& ctx, const ParsedArgs& a) {
  return action(ctx, a.positionals[0], "POST", "restart", {{"factory", a.has("--factory")}});
}

int pause(Context& ctx, const ParsedArgs& a) {
  return action(ctx, a.positionals[0], "POST", "pause", nullptr);
}

int resume(Context& ctx, const ParsedArgs& a) {
  return action(ctx, a.positionals[0], "POST", "resume", nullptr);
}

int hardware(Context& ctx, const ParsedArgs& a) {
  return action(ctx, a.positionals[0], "PUT", "hardware", {{"flavor", a.positionals[1]}});
}

int sleepTime(Context& ctx, const ParsedArgs& a) {
  int64_t seconds = 0;
  try {
    size_t used = 0;
    seconds = std::stoll(a.positionals[1], &used);
    if (used != a.positionals[1].size()) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    ctx.err << "spacectl sleep-time: SECONDS must be a whole number (-1: never sleep), not '"
            << a.positionals[1] << "'\n";
    return kExitUsage;
  }
  return action(ctx, a.positionals[0], "PUT", "sleeptime", {{"seconds", seconds}});
}

}  // namespace

std::vector<Command> actionCommands() {
  return {
      {"restart",
       "ID",
       "Restart a Space's app (a paused Space resumes).",
       "",
       {{"--factory", "", "", "rebuild from scratch, without the build cache"}},
       1,
       1,
       restart},
      {"pause", "ID", "Stop a Space's app and keep it stopped until resume.", "", {}, 1, 1, pause},
      {"resume", "ID", "Start a paused Space again.", "", {}, 1, 1, resume},
      {"hardware",
       "ID FLAVOR",
       "Request another hardware flavor for a Space.",
       "",
       {},
       2,
       2,
       hardware},
      {"sleep-time",
       "ID SECONDS",
       "Set how long a Space may be idle before it sleeps (-1: never).",
       "",
       {},
       2,
       2,
       sleepTime},
  };
}

}  // namespace spacelet::agent::cli
