// spacectl secret set|ls|rm and var set|ls|rm. A secret's value is read from stdin or a prompt
// that does not echo, never from the command line (where ps and shell history would see it).
#include "agent/cli/commands_list.h"
#include "agent/cli/table.h"

namespace spacelet::agent::cli {
namespace {

std::string valuePath(bool secret, const std::string& id, const std::string& key = "") {
  std::string path = spacePath(id) + (secret ? "/secrets" : "/variables");
  return key.empty() ? path : path + "/" + escapeSegment(key);
}

int set(bool secret, Context& ctx, const ParsedArgs& a) {
  const std::string& id = a.positionals[0];
  const std::string& key = a.positionals[1];
  std::string value;
  if (!secret && a.positionals.size() == 3) {
    value = a.positionals[2];
  } else {
    value = ctx.readSecret((secret ? "Value of secret " : "Value of variable ") + key + ": ");
  }
  nlohmann::json body = {{"value", value}};
  if (a.has("--description")) body["description"] = a.get("--description");
  return simpleRequest(
      ctx, "PUT", valuePath(secret, id, key), body.dump(), [&](const nlohmann::json&) {
        ctx.out << "set " << (secret ? "secret " : "variable ") << key << " of " << id << "\n";
      });
}

int list(bool secret, Context& ctx, const ParsedArgs& a) {
  return simpleRequest(
      ctx, "GET", valuePath(secret, a.positionals[0]), "", [&](const nlohmann::json& j) {
        std::vector<std::vector<std::string>> rows;
        for (const auto& e : j[secret ? "secrets" : "variables"]) {
          std::vector<std::string> row = {e.value("key", ""), e.value("updated_at", ""),
                                          e.value("description", "")};
          if (!secret) row.insert(row.begin() + 1, e.value("value", ""));
          rows.push_back(std::move(row));
        }
        if (secret)
          ctx.out << renderTable({"KEY", "UPDATED", "DESCRIPTION"}, rows);
        else
          ctx.out << renderTable({"KEY", "VALUE", "UPDATED", "DESCRIPTION"}, rows);
      });
}

int remove(bool secret, Context& ctx, const ParsedArgs& a) {
  const std::string& key = a.positionals[1];
  return simpleRequest(ctx, "DELETE", valuePath(secret, a.positionals[0], key), "",
                       [&](const nlohmann::json&) {
                         ctx.out << "removed " << (secret ? "secret " : "variable ") << key
                                 << " of " << a.positionals[0] << "\n";
                       });
}

}  // namespace

std::vector<Command> valueCommands() {
  OptionSpec description{"--description", "", "TEXT", "what the value is for"};
  return {
      {"secret set",
       "ID KEY",
       "Set a secret: its value comes from stdin, or a prompt that does not echo.",
       "Secrets reach the app as environment variables and are never shown again.",
       {description},
       2,
       2,
       [](Context& c, const ParsedArgs& a) { return set(true, c, a); }},
      {"secret ls",
       "ID",
       "List a Space's secrets (names and times, never values).",
       "",
       {},
       1,
       1,
       [](Context& c, const ParsedArgs& a) { return list(true, c, a); }},
      {"secret rm",
       "ID KEY",
       "Remove a secret.",
       "",
       {},
       2,
       2,
       [](Context& c, const ParsedArgs& a) { return remove(true, c, a); }},
      {"var set",
       "ID KEY [VALUE]",
       "Set a variable (VALUE, else stdin or a prompt).",
       "",
       {description},
       2,
       3,
       [](Context& c, const ParsedArgs& a) { return set(false, c, a); }},
      {"var ls",
       "ID",
       "List a Space's variables with their values.",
       "",
       {},
       1,
       1,
       [](Context& c, const ParsedArgs& a) { return list(false, c, a); }},
      {"var rm",
       "ID KEY",
       "Remove a variable.",
       "",
       {},
       2,
       2,
       [](Context& c, const ParsedArgs& a) { return remove(false, c, a); }},
  };
}

}  // namespace spacelet::agent::cli
