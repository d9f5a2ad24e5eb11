// `spacelet-run features`: the runtime-spec features document on stdout.
#include <cstdio>

#include "sandbox/cli/commands.h"

namespace spacelet::sandbox::cli {

int runFeatures(const Context&, const Args& args) {
  if (int rc = helpIfAsked(args, "Usage: spacelet-run features\n"); rc >= 0) return rc;
  if (!args.empty()) return reportError(Error::invalid("features takes no arguments"));
  std::string text = container::features().dump(2) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace spacelet::sandbox::cli
