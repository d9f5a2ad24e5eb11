// Staying with a container process in the foreground (`run`, `exec` without --detach):
// signals sent to spacelet-run are forwarded to the process, and when the process has a
// terminal that spacelet-run holds (no --console-socket), its I/O is relayed to our stdio
// with our terminal in raw mode and window size changes passed on.
#pragma once

#include "sandbox/process/spawn.h"
#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::sandbox::container {

// Blocks the forwarded signals for the lifetime of the object (so none is lost between
// spawning and waiting) and restores the previous mask after. Create it before spawning.
class ForwardedSignals {
 public:
  ForwardedSignals();
  ~ForwardedSignals();
  ForwardedSignals(const ForwardedSignals&) = delete;
  ForwardedSignals& operator=(const ForwardedSignals&) = delete;
  int fd() const { return signalFd_.get(); }

 private:
  UniqueFd signalFd_;
  sigset_t previous_{};
};

// Waits for `child` to exit while forwarding signals and relaying `terminal` (when valid).
// Returns the shell-style exit status.
Result<int> waitInForeground(process::ChildProcess& child, const ForwardedSignals& signals,
                             int terminal);

}  // namespace spacelet::sandbox::container
