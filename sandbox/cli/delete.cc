// `spacelet-run delete [--force] ID`
#include "sandbox/cli/args.h"
#include "sandbox/cli/commands.h"

namespace spacelet::sandbox::cli {
namespace {

constexpr FlagSpec kFlags[] = {
    {"force", "f", false, "kill a running container first"},
    {"help", "h", false, "show this help"},
};

}  // namespace

Result<DeleteArgs> parseDelete(const Args& args) {
  auto parsed = parseFlags(args, kFlags, true);
  if (!parsed) return fail(std::move(parsed).error());
  if (parsed->positional.size() != 1) {
    return failInvalid(
        "delete takes exactly one container id (usage: spacelet-run delete "
        "[--force] ID)");
  }
  return DeleteArgs{parsed->positional[0], parsed->flag("force")};
}

int runDelete(const Context& context, const Args& args) {
  if (int rc = helpIfAsked(args, usage("delete [options] ID", kFlags)); rc >= 0) return rc;
  auto parsed = parseDelete(args);
  if (!parsed) return reportError(parsed.error());
  auto removed = container::remove(context.global, parsed->id, parsed->force);
  if (!removed) return reportError(removed.error().withContext("delete '" + parsed->id + "'"));
  return 0;
}

}  // namespace spacelet::sandbox::cli
