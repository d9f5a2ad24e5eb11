// The command table and the helpers commands share (see command.h).
#include <iostream>

#include "agent/cli/command.h"
#include "agent/cli/commands_list.h"

namespace spacelet::agent::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> all = [] {
    std::vector<Command> out;
    for (auto group : {spaceCommands, actionCommands, gitCommands, valueCommands, streamCommands,
                       gpuCommands, imageCommands}) {
      auto more = group();
      out.insert(out.end(), more.begin(), more.end());
    }
    return out;
  }();
  return all;
}

int reportHttpError(Context& ctx, const HttpResult& result) {
  auto body = nlohmann::json::parse(result.body, nullptr, false);
  std::string message = "the agent answered HTTP " + std::to_string(result.status);
  if (body.is_object() && body.contains("error") && body["error"].is_object())
    message = body["error"].value("message", message);
  if (ctx.json) ctx.out << result.body;
  ctx.err << "spacectl: " << message << "\n";
  switch (result.status) {
    case 403:
      return kExitForbidden;
    case 404:
      return kExitNotFound;
    case 409:
      return kExitConflict;
    default:
      return kExitFailed;
  }
}

int reportError(Context& ctx, const Error& error) {
  ctx.err << "spacectl: " << error.message << "\n";
  if (error.code == ECONNREFUSED) return kExitUnreachable;
  if (error.code == ETIMEDOUT) return kExitTimedOut;
  return kExitFailed;
}

std::string spacePath(const std::string& id) {
  size_t slash = id.find('/');
  if (slash == std::string::npos) return "/v1/spaces/" + escapeSegment(id);
  return "/v1/spaces/" + escapeSegment(id.substr(0, slash)) + "/" +
         escapeSegment(id.substr(slash + 1));
}

int simpleRequest(Context& ctx, const std::string& method, const std::string& path,
                  const std::string& body,
                  const std::function<void(const nlohmann::json&)>& human) {
  auto result = ctx.client.request(method, path, body);
  if (!result) return reportError(ctx, result.error());
  if (result->status < 200 || result->status >= 300) return reportHttpError(ctx, *result);
  if (ctx.json) {
    ctx.out << result->body;
    return kExitOk;
  }
  auto json = nlohmann::json::parse(result->body, nullptr, false);
  if (json.is_discarded()) {
    ctx.err << "spacectl: the agent sent a response that is not JSON\n";
    return kExitFailed;
  }
  human(json);
  return kExitOk;
}

}  // namespace spacelet::agent::cli
