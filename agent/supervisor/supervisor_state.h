// The supervisor's per-Space state (private to agent/supervisor; see supervisor.h). Guarded
// by Supervisor::mutex_, except the event sources, which only the loop thread touches.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "agent/daemon/event_loop.h"
#include "agent/supervisor/backoff.h"
#include "agent/supervisor/deploy_queue.h"
#include "agent/supervisor/deployment.h"
#include "agent/supervisor/instance.h"
#include "agent/supervisor/supervisor.h"

namespace spacelet::agent::supervisor {

struct Supervisor::SpaceState {
  explicit SpaceState(size_t retain, BackoffPolicy policy) : history(retain), backoff(policy) {}

  DeployQueue queue;
  DeploymentHistory history;
  // The live container of the serving deployment; null when none runs (crashed, paused).
  std::shared_ptr<Instance> serving;
  int nextInstance = 1;  // instance 0 is the deployment's first container
  CrashBackoff backoff;
  std::thread worker;
  std::atomic<bool> cancel{false};
  bool paused = false;
  bool deleting = false;
  std::function<void(Result<void>)> removed;  // DELETE's completion
  // Loop thread only.
  daemon::Source watch;
  daemon::Source restartTimer;
  daemon::Source fetchTimer;
};

}  // namespace spacelet::agent::supervisor
