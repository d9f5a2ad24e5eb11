// `spacelet-run kill [--all] ID [SIGNAL]` (SIGNAL defaults to TERM).
#include "sandbox/cli/args.h"
#include "sandbox/cli/commands.h"
#include "sandbox/cli/signals.h"

namespace spacelet::sandbox::cli {
namespace {

constexpr FlagSpec kFlags[] = {
    {"all", "a", false, "signal every process in the container's cgroup"},
    {"help", "h", false, "show this help"},
};

}  // namespace

Result<KillArgs> parseKill(const Args& args) {
  auto parsed = parseFlags(args, kFlags, true);
  if (!parsed) return fail(std::move(parsed).error());
  const auto& pos = parsed->positional;
  if (pos.empty() || pos.size() > 2) {
    return failInvalid("usage: spacelet-run kill [--all] ID [SIGNAL]");
  }
  KillArgs out{pos[0], 15, parsed->flag("all")};
  if (pos.size() == 2) {
    auto signal = parseSignal(pos[1]);
    if (!signal) return fail(std::move(signal).error());
    out.signal = *signal;
  }
  return out;
}

int runKill(const Context& context, const Args& args) {
  if (int rc = helpIfAsked(args, usage("kill [options] ID [SIGNAL]", kFlags)); rc >= 0) return rc;
  auto parsed = parseKill(args);
  if (!parsed) return reportError(parsed.error());
  auto killed = container::kill(context.global, parsed->id, parsed->signal, parsed->all);
  if (!killed) return reportError(killed.error());
  return 0;
}

}  // namespace spacelet::sandbox::cli
