// `spacelet-run list [--format table|json] [--quiet]`
#include <algorithm>
#include <cstdio>

#include "sandbox/cli/args.h"
#include "sandbox/cli/commands.h"

namespace spacelet::sandbox::cli {
namespace {

constexpr FlagSpec kFlags[] = {
    {"format", "f", true, "table (default) or json"},
    {"quiet", "q", false, "print only the ids"},
    {"help", "h", false, "show this help"},
};

std::string table(const std::vector<container::ListEntry>& entries) {
  std::vector<std::vector<std::string>> rows = {
      {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (const auto& e : entries) {
    bool live = e.status != state::Status::kStopped && e.status != state::Status::kCreating;
    rows.push_back({e.state.id, std::to_string(live ? e.state.pid : 0),
                    std::string(state::statusName(e.status)), e.state.bundle, e.state.created,
                    std::to_string(e.state.owner)});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out += std::string(width[i] - row[i].size() + 3, ' ');
    }
    out += "\n";
  }
  return out;
}

std::string json(const std::vector<container::ListEntry>& entries) {
  spec::Json out = spec::Json::array();
  for (const auto& e : entries) out.push_back(state::ociState(e.state, e.status));
  return out.dump(2) + "\n";
}

}  // namespace

Result<ListArgs> parseList(const Args& args) {
  auto parsed = parseFlags(args, kFlags, true);
  if (!parsed) return fail(std::move(parsed).error());
  if (!parsed->positional.empty()) return failInvalid("list takes no arguments");
  ListArgs out{parsed->value("format", "table"), parsed->flag("quiet")};
  if (out.format != "table" && out.format != "json") {
    return failInvalid("--format '" + out.format + "': expected table or json");
  }
  return out;
}

int runList(const Context& context, const Args& args) {
  if (int rc = helpIfAsked(args, usage("list [options]", kFlags)); rc >= 0) return rc;
  auto parsed = parseList(args);
  if (!parsed) return reportError(parsed.error());
  auto entries = container::list(context.global);
  if (!entries) return reportError(entries.error());
  std::string text;
  if (parsed->quiet) {
    for (const auto& e : *entries) text += e.state.id + "\n";
  } else {
    text = parsed->format == "json" ? json(*entries) : table(*entries);
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace spacelet::sandbox::cli
