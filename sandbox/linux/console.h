// process.terminal: the container gets a pseudo-terminal from its own devpts instance. The
// master end is sent over the --console-socket (SCM_RIGHTS, as runc does, so conmon and
// containerd's shim receive it); the slave becomes stdin/stdout/stderr, the controlling
// terminal and, for the init, /dev/console.
#pragma once

#include <optional>
#include <string>

#include "sandbox/linux/step_error.h"
#include "sandbox/spec/config.h"
#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::sandbox::linux {

// Parent side, before clone: connects to the console socket path.
Result<UniqueFd> connectConsoleSocket(const std::string& path);
// Parent side: receives a terminal master sent by sendFd (for run/exec without a socket).
Result<UniqueFd> receiveFd(int socketFd);

// Child side, after pivot_root and /dev/pts: creates the pty, sends the master on
// socketFd, makes the slave the process's stdio and controlling terminal.
StepError setupConsole(int socketFd, const std::optional<spec::ConsoleSize>& size,
                       bool bindDevConsole);

}  // namespace spacelet::sandbox::linux
