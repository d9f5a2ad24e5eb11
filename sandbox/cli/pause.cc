// `spacelet-run pause ID`
#include "sandbox/cli/commands.h"

namespace spacelet::sandbox::cli {

int runPause(const Context& context, const Args& args) {
  if (int rc = helpIfAsked(args, "Usage: spacelet-run pause ID\n"); rc >= 0) return rc;
  auto id = parseId(args, "pause");
  if (!id) return reportError(id.error());
  auto paused = container::pause(context.global, *id);
  if (!paused) return reportError(paused.error().withContext("pause '" + *id + "'"));
  return 0;
}

}  // namespace spacelet::sandbox::cli
