// `spacelet-run ps [--format table|json] ID [PS-ARGS...]`: the container's processes, as
// ps(1) on the host shows them (rows filtered to the container's cgroup), or their pids.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "sandbox/cli/args.h"
#include "sandbox/cli/commands.h"
#include "spacelet/base/file_io.h"

extern char** environ;

namespace spacelet::sandbox::cli {
namespace {

constexpr FlagSpec kFlags[] = {
    {"format", "f", true, "table (default: ps output) or json (pids)"},
    {"help", "h", false, "show this help"},
};

Result<std::string> runPsCommand(const std::vector<std::string>& psArgs) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return failErrno(errno, "create pipe for ps");
  UniqueFd readEnd(out[0]), writeEnd(out[1]);
  std::vector<char*> argv = {const_cast<char*>("ps")};
  for (const auto& a : psArgs) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, writeEnd.get(), 1);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, "ps", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  writeEnd.reset();
  if (rc != 0) return failErrno(rc, "run ps (install procps)");
  auto text = readAll(readEnd.get());
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!text) return text;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return failInvalid("ps failed: " + *text);
  return text;
}

// Keeps the header and the rows whose PID column is one of `pids`.
Result<std::string> filterRows(const std::string& psOutput, const std::vector<pid_t>& pids) {
  std::istringstream lines(psOutput);
  std::string header;
  std::getline(lines, header);
  std::istringstream columns(header);
  size_t pidColumn = 0;
  for (std::string word; columns >> word; ++pidColumn) {
    if (word == "PID") break;
  }
  if (header.find("PID") == std::string::npos) {
    return failInvalid("ps output has no PID column; keep it in the ps arguments");
  }
  std::string out = header + "\n";
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string field;
    for (size_t i = 0; i <= pidColumn && fields >> field; ++i) {
    }
    pid_t pid = static_cast<pid_t>(std::atoi(field.c_str()));
    if (std::find(pids.begin(), pids.end(), pid) != pids.end()) out += line + "\n";
  }
  return out;
}

}  // namespace

Result<PsArgs> parsePs(const Args& args) {
  auto parsed = parseFlags(args, kFlags, false);
  if (!parsed) return fail(std::move(parsed).error());
  if (parsed->positional.empty())
    return failInvalid("usage: spacelet-run ps [options] ID [PS-ARGS...]");
  PsArgs out;
  out.id = parsed->positional[0];
  out.format = parsed->value("format", "table");
  out.psArgs.assign(parsed->positional.begin() + 1, parsed->positional.end());
  if (out.format != "table" && out.format != "json") {
    return failInvalid("--format '" + out.format + "': expected table or json");
  }
  if (out.format == "json" && !out.psArgs.empty()) {
    return failInvalid("ps arguments do not apply to --format json");
  }
  if (out.psArgs.empty()) out.psArgs = {"-ef"};
  return out;
}

int runPs(const Context& context, const Args& args) {
  if (int rc = helpIfAsked(args, usage("ps [options] ID [PS-ARGS...]", kFlags), true); rc >= 0) {
    return rc;
  }
  auto parsed = parsePs(args);
  if (!parsed) return reportError(parsed.error());
  auto pids = container::processes(context.global, parsed->id);
  if (!pids) return reportError(pids.error());
  std::string text;
  if (parsed->format == "json") {
    text = spec::Json(*pids).dump() + "\n";
  } else {
    auto ps = runPsCommand(parsed->psArgs);
    if (!ps) return reportError(ps.error());
    auto rows = filterRows(*ps, *pids);
    if (!rows) return reportError(rows.error());
    text = *rows;
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace spacelet::sandbox::cli
