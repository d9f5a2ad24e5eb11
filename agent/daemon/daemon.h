// spaceletd as a whole: the start-up steps (lock the state directory, load the node key, open
// the registry, take the socket, start the API), the loop, SIGHUP reload, and the clean exit
// on SIGTERM (stop accepting, end streams, let in-flight requests finish within
// api.shutdown_timeout; Spaces keep running, as containers outlive the agent).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "agent/api/api.h"
#include "agent/api/file_watcher.h"
#include "agent/api/http_server.h"
#include "agent/config/config.h"
#include "agent/daemon/event_loop.h"
#include "agent/daemon/listen_socket.h"
#include "agent/secrets/secret_box.h"
#include "agent/store/space_registry.h"

namespace spacelet::agent::daemon {

// What a SpaceLifecycle implementation gets to work with. All of it lives as long as the
// lifecycle; everything runs on the loop thread.
struct LifecycleContext {
  store::SpaceRegistry* registry = nullptr;
  EventLoop* loop = nullptr;
  std::function<std::shared_ptr<const config::Config>()> config;
};
using LifecycleFactory =
    std::function<Result<std::unique_ptr<api::SpaceLifecycle>>(const LifecycleContext&)>;

struct DaemonOptions {
  std::string configPath;
  bool configRequired = false;  // --config was given: a missing file is an error
  std::string credentialsDir;   // $CREDENTIALS_DIRECTORY
  std::string cgroupRoot = "/sys/fs/cgroup";
  std::string version;
  // Makes the lifecycle behind the API (the supervisor); empty: RecordingLifecycle.
  LifecycleFactory lifecycle;
};

class Daemon {
 public:
  static Result<std::unique_ptr<Daemon>> create(DaemonOptions options, config::Config config);
  ~Daemon();
  // Serves until SIGTERM or SIGINT. Returns the exit status.
  Result<int> run();

 private:
  Daemon(DaemonOptions options, config::Config config);
  Result<void> openState();
  Result<void> openSocket();
  Result<void> startApi();
  Result<void> handleSignals();
  void reload();
  void beginShutdown();
  void checkDrained();
  std::string statusLine() const;
  void refreshStatus();

  DaemonOptions options_;
  std::shared_ptr<const config::Config> config_;
  UniqueFd stateLock_;
  std::unique_ptr<secrets::SecretBox> box_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<store::SpaceRegistry> registry_;
  std::unique_ptr<api::SpaceLifecycle> lifecycle_;
  std::unique_ptr<api::FileWatcher> watcher_;
  ListenSocket socket_;
  std::unique_ptr<api::Api> api_;
  std::unique_ptr<api::HttpServer> server_;
  std::vector<Source> signals_;
  Source statusTimer_;
  Source drainTimer_;
  Source shutdownDeadline_;
  std::string lastStatus_;
  bool stopping_ = false;
};

}  // namespace spacelet::agent::daemon
