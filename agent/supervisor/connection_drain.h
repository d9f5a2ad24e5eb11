// Draining a deployment before it is stopped: once the proxy routes new connections to the
// new deployment, the requests it already passed to the old one must finish there, or their
// clients get no reply. The old container's network namespace shows them: its TCP table
// (proc(5), /proc/<pid>/net/tcp and tcp6) lists the connections accepted, or waiting to be
// accepted, on the app's listening ports.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string_view>

namespace spacelet::agent::supervisor {

// Connections a server in this namespace holds: entries of a /proc/net/tcp{,6} table in state
// ESTABLISHED or SYN_RECV whose local port is one a socket of the table listens on.
size_t countServedConnections(std::string_view tcpTable);

// Waits until the network namespace of `pid` holds no served connection, or `limit` passed,
// polling every 20 ms; returns how many are still open (0: drained). A process that is gone
// has nothing left to drain.
size_t waitForDrain(pid_t pid, std::chrono::milliseconds limit);

}  // namespace spacelet::agent::supervisor
