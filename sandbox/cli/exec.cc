// `spacelet-run exec [options] ID COMMAND [ARG...]` or `exec --process FILE ID`.
#include "sandbox/cli/args.h"
#include "sandbox/cli/commands.h"

namespace spacelet::sandbox::cli {
namespace {

constexpr FlagSpec kFlags[] = {
    {"process", "p", true, "a JSON process object (runtime-spec) instead of COMMAND; - for stdin"},
    {"tty", "t", false, "give the process a terminal"},
    {"cwd", "", true, "working directory in the container"},
    {"env", "e", true, "set NAME=value (repeatable)"},
    {"user", "u", true, "UID[:GID] to run as"},
    {"additional-gids", "g", true, "extra group id (repeatable)"},
    {"cap", "c", true, "add a capability, e.g. CAP_NET_ADMIN (repeatable)"},
    {"no-new-privs", "", false, "set no_new_privs"},
    {"detach", "d", false, "return once the process runs"},
    {"pid-file", "", true, "write the process's pid to this file"},
    {"console-socket", "", true, "unix socket that receives the terminal's master fd"},
    {"preserve-fds", "", true, "pass fds 3..3+N-1 to the process"},
    {"process-label", "", true, "accepted for runc compatibility; SELinux is not applied"},
    {"apparmor", "", true, "accepted for runc compatibility; use --process for a profile"},
    {"help", "h", false, "show this help"},
};

Result<std::vector<uint32_t>> gids(const std::vector<std::string>& values) {
  std::vector<uint32_t> out;
  for (const auto& v : values) {
    if (v.empty() || v.size() > 10 || v.find_first_not_of("0123456789") != std::string::npos) {
      return failInvalid("--additional-gids '" + v + "': expected a number");
    }
    out.push_back(static_cast<uint32_t>(std::stoul(v)));
  }
  return out;
}

}  // namespace

Result<container::ExecOptions> parseExec(const Args& args) {
  auto parsed = parseFlags(args, kFlags, false);
  if (!parsed) return fail(std::move(parsed).error());
  const auto& pos = parsed->positional;
  if (pos.empty()) return failInvalid("usage: spacelet-run exec [options] ID COMMAND [ARG...]");
  container::ExecOptions o;
  o.id = pos[0];
  o.args.assign(pos.begin() + 1, pos.end());
  o.processFile = parsed->value("process");
  if (!o.processFile.empty() && !o.args.empty()) {
    return failInvalid("exec takes either --process FILE or a COMMAND, not both");
  }
  o.tty = parsed->flag("tty");
  o.cwd = parsed->value("cwd");
  o.env = parsed->all("env");
  o.user = parsed->value("user");
  auto extra = gids(parsed->all("additional-gids"));
  if (!extra) return fail(std::move(extra).error());
  o.additionalGids = std::move(*extra);
  o.caps = parsed->all("cap");
  o.noNewPrivileges = parsed->flag("no-new-privs");
  o.detach = parsed->flag("detach");
  o.pidFile = parsed->value("pid-file");
  o.consoleSocket = parsed->value("console-socket");
  auto fds = intValue(*parsed, "preserve-fds", 0);
  if (!fds) return fail(std::move(fds).error());
  o.preserveFds = *fds;
  return o;
}

int runExec(const Context& context, const Args& args) {
  std::string text = usage("exec [options] ID COMMAND [ARG...]", kFlags);
  if (int rc = helpIfAsked(args, text, true); rc >= 0) return rc;
  auto options = parseExec(args);
  if (!options) return reportError(options.error());
  auto status = container::exec(context.global, *options);
  if (!status) return reportError(status.error().withContext("exec in '" + options->id + "'"));
  return *status;
}

}  // namespace spacelet::sandbox::cli
