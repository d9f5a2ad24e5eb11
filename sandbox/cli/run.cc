// `spacelet-run run [options] ID`: create + start; in the foreground, exits with the
// container's exit status.
#include "sandbox/cli/args.h"
#include "sandbox/cli/commands.h"

namespace spacelet::sandbox::cli {
namespace {

constexpr FlagSpec kFlags[] = {
    {"bundle", "b", true, "the bundle directory (config.json and rootfs); default: ."},
    {"console-socket", "", true, "unix socket that receives the terminal's master fd"},
    {"pid-file", "", true, "write the init's pid to this file"},
    {"detach", "d", false, "return once the container runs"},
    {"keep", "", false, "keep the stopped container (and its exit status) for 'state'"},
    {"no-pivot", "", false, "use MS_MOVE + chroot instead of pivot_root (initramfs)"},
    {"no-new-keyring", "", false, "keep the caller's session keyring"},
    {"preserve-fds", "", true, "pass fds 3..3+N-1 to the container"},
    {"help", "h", false, "show this help"},
};

}  // namespace

Result<container::RunOptions> parseRun(const Args& args) {
  auto parsed = parseFlags(args, kFlags, true);
  if (!parsed) return fail(std::move(parsed).error());
  if (parsed->positional.size() != 1) {
    return failInvalid(
        "run takes exactly one container id (usage: spacelet-run run "
        "[--bundle DIR] ID)");
  }
  container::RunOptions o;
  o.create.id = parsed->positional[0];
  o.create.bundle = parsed->value("bundle", ".");
  o.create.consoleSocket = parsed->value("console-socket");
  o.create.pidFile = parsed->value("pid-file");
  o.create.noPivot = parsed->flag("no-pivot");
  o.create.noNewKeyring = parsed->flag("no-new-keyring");
  auto fds = intValue(*parsed, "preserve-fds", 0);
  if (!fds) return fail(std::move(fds).error());
  o.create.preserveFds = *fds;
  o.detach = parsed->flag("detach");
  o.keep = parsed->flag("keep");
  if (o.detach && o.keep) return failInvalid("--keep and --detach do not go together");
  return o;
}

int runRun(const Context& context, const Args& args) {
  if (int rc = helpIfAsked(args, usage("run [options] ID", kFlags)); rc >= 0) return rc;
  auto options = parseRun(args);
  if (!options) return reportError(options.error());
  auto status = container::run(context.global, *options);
  if (!status) return reportError(status.error().withContext("run '" + options->create.id + "'"));
  return *status;
}

}  // namespace spacelet::sandbox::cli
