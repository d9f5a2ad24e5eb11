// `spacelet-run start ID`
#include "sandbox/cli/commands.h"

namespace spacelet::sandbox::cli {

int runStart(const Context& context, const Args& args) {
  if (int rc = helpIfAsked(args, "Usage: spacelet-run start ID\n"); rc >= 0) return rc;
  auto id = parseId(args, "start");
  if (!id) return reportError(id.error());
  auto started = container::start(context.global, *id);
  if (!started) return reportError(started.error().withContext("start '" + *id + "'"));
  return 0;
}

}  // namespace spacelet::sandbox::cli
