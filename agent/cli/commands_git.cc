// spacectl repo, notify, deployments, rollback: a Space's repository and its deployments
// (issue 6). `notify --hook` is what a Space's post-receive hook runs: it reads git's
// "old new ref" lines and tells the pusher what happens next.
#include <iostream>
#include <sstream>

#include "agent/cli/commands_list.h"
#include "agent/cli/table.h"

namespace spacelet::agent::cli {
namespace {

const std::string kMain = "refs/heads/main";

bool allZeros(const std::string& sha) {
  return !sha.empty() && sha.find_first_not_of('0') == std::string::npos;
}

// One ref line of the hook. Returns false when the agent could not be told.
bool notifyRef(Context& ctx, const std::string& id, const std::string& sha,
               const std::string& ref) {
  if (ref != kMain) {
    ctx.err << "spacelet: '" << ref << "' is not deployed: the Space deploys branch 'main' "
            << "(git push <remote> HEAD:main)\n";
    return true;
  }
  if (allZeros(sha)) {
    ctx.err << "spacelet: branch 'main' was deleted; " << id
            << " keeps serving its last deployment\n";
    return true;
  }
  nlohmann::json body = {{"ref", ref}, {"sha", sha}};
  auto result = ctx.client.request("POST", spacePath(id) + "/notify", body.dump());
  if (!result || result->status < 200 || result->status >= 300) {
    std::string why = result ? "HTTP " + std::to_string(result->status) + " " + result->body
                             : result.error().message;
    ctx.err << "spacelet: the push is stored, but the agent could not be told (" << why
            << "); it deploys the newest commit of 'main' at its next check of the repositories "
            << "(git.fetch_interval) or when it starts\n";
    return false;
  }
  ctx.err << "spacelet: deploying " << sha.substr(0, 7) << " to " << id << "\n"
          << "spacelet: follow the build with: spacectl logs " << id << " --build -f\n";
  return true;
}

int notify(Context& ctx, const ParsedArgs& a) {
  const std::string& id = a.positionals[0];
  if (!a.has("--hook")) {
    nlohmann::json body = nlohmann::json::object();
    if (a.has("--ref")) body["ref"] = a.get("--ref");
    if (a.has("--sha")) body["sha"] = a.get("--sha");
    return simpleRequest(
        ctx, "POST", spacePath(id) + "/notify", body.dump(),
        [&](const nlohmann::json& j) { ctx.out << id << ": " << j.value("stage", "?") << "\n"; });
  }
  // The hook's exit status cannot undo a push; failing loudly only confuses the pusher.
  for (std::string line; std::getline(std::cin, line);) {
    std::istringstream words(line);
    std::string oldSha, newSha, ref;
    if (words >> oldSha >> newSha >> ref) notifyRef(ctx, id, newSha, ref);
  }
  return kExitOk;
}

int repo(Context& ctx, const ParsedArgs& a) {
  return simpleRequest(ctx, "GET", spacePath(a.positionals[0]) + "/repository", "",
                       [&](const nlohmann::json& j) {
                         ctx.out << j.value(a.has("--ssh") ? "ssh_url" : "path", "") << "\n";
                       });
}

std::string shortText(const nlohmann::json& j, const char* key, size_t n) {
  std::string text = j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
  if (auto nl = text.find('\n'); nl != std::string::npos) text = text.substr(0, nl);
  return text.size() > n ? text.substr(0, n - 1) + "~" : text;
}

int deployments(Context& ctx, const ParsedArgs& a) {
  return simpleRequest(
      ctx, "GET", spacePath(a.positionals[0]) + "/deployments", "", [&](const nlohmann::json& j) {
        std::vector<std::vector<std::string>> rows;
        for (const auto& d : j.value("deployments", nlohmann::json::array())) {
          std::string outcome = d.value("outcome", "");
          if (d["failed_stage"].is_string())
            outcome += " (" + d["failed_stage"].get<std::string>() + ")";
          std::string created = d.value("created_at", "").substr(0, 19);
          if (created.size() > 10) created[10] = ' ';
          int64_t serving =
              j.contains("serving") && j["serving"].is_number() ? j["serving"].get<int64_t>() : -1;
          std::string marker = d.value("seq", int64_t{0}) == serving ? "*" : "";
          rows.push_back({std::to_string(d.value("seq", 0)) + marker,
                          d.value("sha", "").substr(0, 7), outcome, d.value("job", ""),
                          shortText(d, "reason", 40), created});
        }
        ctx.out << renderTable({"SEQ", "SHA", "OUTCOME", "JOB", "REASON", "CREATED"}, rows);
      });
}

int rollback(Context& ctx, const ParsedArgs& a) {
  const std::string& id = a.positionals[0];
  nlohmann::json body = {{"sha", a.positionals[1]}};
  return simpleRequest(
      ctx, "POST", spacePath(id) + "/rollback", body.dump(), [&](const nlohmann::json& j) {
        ctx.out << id << ": rolling back to " << shortText(j, "sha", 7)
                << " (the build of deployment #" << j.value("build_seq", 0) << ", no rebuild)\n";
      });
}

}  // namespace

std::vector<Command> gitCommands() {
  return {
      {"repo",
       "ID",
       "Print the path of a Space's git repository (push to its branch 'main').",
       "Example: git push $(spacectl repo alice/demo) HEAD:main",
       {{"--ssh", "", "", "print the ssh:// URL to push over SSH instead"}},
       1,
       1,
       repo},
      {"notify",
       "ID",
       "Tell the agent the Space's repository changed (run by its git hook).",
       "With --hook, reads git's \"old new ref\" lines from stdin, as a post-receive hook gets.",
       {{"--ref", "", "REF", "the ref that moved, e.g. refs/heads/main"},
        {"--sha", "", "SHA", "the new commit"},
        {"--hook", "", "", "read the ref lines of a post-receive hook from stdin"}},
       1,
       1,
       notify},
      {"deployments",
       "ID",
       "List a Space's deployments, newest first (commit, outcome, why it was made).",
       "",
       {},
       1,
       1,
       deployments},
      {"rollback",
       "ID SHA",
       "Deploy the build of an earlier commit that served, without rebuilding.",
       "",
       {},
       2,
       2,
       rollback},
  };
}

}  // namespace spacelet::agent::cli
