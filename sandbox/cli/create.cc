// `spacelet-run create [options] ID`
#include "sandbox/cli/args.h"
#include "sandbox/cli/commands.h"

namespace spacelet::sandbox::cli {
namespace {

constexpr FlagSpec kFlags[] = {
    {"bundle", "b", true, "the bundle directory (config.json and rootfs); default: ."},
    {"console-socket", "", true, "unix socket that receives the terminal's master fd"},
    {"pid-file", "", true, "write the init's pid to this file"},
    {"no-pivot", "", false, "use MS_MOVE + chroot instead of pivot_root (initramfs)"},
    {"no-new-keyring", "", false, "keep the caller's session keyring"},
    {"preserve-fds", "", true, "pass fds 3..3+N-1 to the container"},
    {"help", "h", false, "show this help"},
};

}  // namespace

Result<container::CreateOptions> parseCreate(const Args& args) {
  auto parsed = parseFlags(args, kFlags, true);
  if (!parsed) return fail(std::move(parsed).error());
  if (parsed->positional.size() != 1) {
    return failInvalid(
        "create takes exactly one container id (usage: spacelet-run create "
        "[--bundle DIR] ID)");
  }
  container::CreateOptions o;
  o.id = parsed->positional[0];
  o.bundle = parsed->value("bundle", ".");
  o.consoleSocket = parsed->value("console-socket");
  o.pidFile = parsed->value("pid-file");
  o.noPivot = parsed->flag("no-pivot");
  o.noNewKeyring = parsed->flag("no-new-keyring");
  auto fds = intValue(*parsed, "preserve-fds", 0);
  if (!fds) return fail(std::move(fds).error());
  o.preserveFds = *fds;
  return o;
}

int runCreate(const Context& context, const Args& args) {
  if (int rc = helpIfAsked(args, usage("create [options] ID", kFlags)); rc >= 0) return rc;
  auto options = parseCreate(args);
  if (!options) return reportError(options.error());
  auto created = container::create(context.global, *options);
  if (!created) return reportError(created.error().withContext("create '" + options->id + "'"));
  return 0;
}

}  // namespace spacelet::sandbox::cli
