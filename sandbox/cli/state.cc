// `spacelet-run state ID`: the OCI state document on stdout.
#include <cstdio>

#include "sandbox/cli/commands.h"

namespace spacelet::sandbox::cli {

int runState(const Context& context, const Args& args) {
  if (int rc = helpIfAsked(args, "Usage: spacelet-run state ID\n"); rc >= 0) return rc;
  auto id = parseId(args, "state");
  if (!id) return reportError(id.error());
  auto state = container::state(context.global, *id);
  if (!state) return reportError(state.error());
  std::string text = state->dump(2) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace spacelet::sandbox::cli
