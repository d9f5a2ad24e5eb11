// "Probe health: HTTP on app_port until it answers": a deployment is healthy once its app
// answers an HTTP request with any status line, as Hugging Face considers a Space started
// once it responds on its port. Connections are made from the node's network namespace (where
// the Spaces' veths are) when one is given, through a short-lived thread that joins it, so the
// calling thread's namespace never changes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::agent::supervisor {

struct ProbeTarget {
  std::string ip;
  uint16_t port = 0;
  std::string netns;  // a netns file to connect from; empty: the caller's
  std::string host;   // Host header
};

// A TCP connection to ip:port started from `netns` (non-blocking; connect may be in progress).
Result<UniqueFd> connectFrom(const std::string& netns, const std::string& ip, uint16_t port);

// One attempt: connects, sends GET /, and waits up to `timeout` for a status line.
Result<std::string> probeOnce(const ProbeTarget& target, std::chrono::milliseconds timeout);

// Probes every `interval` until the app answers (returns its status line), `deadline` passes,
// or keepGoing() says to stop (the container exited, the deployment was cancelled).
Result<std::string> waitHealthy(const ProbeTarget& target,
                                std::chrono::steady_clock::time_point deadline,
                                const std::function<bool()>& keepGoing,
                                std::chrono::milliseconds interval = std::chrono::milliseconds(50));

}  // namespace spacelet::agent::supervisor
