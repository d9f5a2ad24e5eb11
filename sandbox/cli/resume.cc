// `spacelet-run resume ID`
#include "sandbox/cli/commands.h"

namespace spacelet::sandbox::cli {

int runResume(const Context& context, const Args& args) {
  if (int rc = helpIfAsked(args, "Usage: spacelet-run resume ID\n"); rc >= 0) return rc;
  auto id = parseId(args, "resume");
  if (!id) return reportError(id.error());
  auto resumed = container::resume(context.global, *id);
  if (!resumed) return reportError(resumed.error().withContext("resume '" + *id + "'"));
  return 0;
}

}  // namespace spacelet::sandbox::cli
