// The supervisor of Spaces from git: spaceletd's SpaceLifecycle. Each Space has a queue of
// deployment jobs (deploy_queue.h) served by one worker thread at a time; a job runs a
// Deployer (export, config, build, bundle, network, container, probe), then switches the
// proxy's route, then stops the deployment it replaced (SIGTERM, grace, SIGKILL). The serving
// container is watched through its monitor's pidfd on the event loop: a crash is recorded
// (exit code, signal or OOM; restarts; RUNTIME_ERROR with the log's tail) and recovered with
// backoff. At start, running containers are re-adopted from their monitors' state files,
// interrupted deployments are redone, unknown containers are removed and the network is
// reconciled.
// Threading: SpaceLifecycle calls and every registry change happen on the event loop thread;
// workers report back with EventLoop::post(). Per-Space state is guarded by one mutex.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/api/space_lifecycle.h"
#include "agent/config/config.h"
#include "agent/daemon/event_loop.h"
#include "agent/git/git_handle.h"
#include "agent/store/space_registry.h"
#include "agent/supervisor/backoff.h"
#include "agent/supervisor/deploy_queue.h"
#include "agent/supervisor/deployer.h"
#include "agent/supervisor/deployment.h"
#include "agent/supervisor/gpu_grant.h"
#include "agent/supervisor/id_ranges.h"
#include "agent/supervisor/route_table.h"

namespace spacelet::agent::supervisor {

struct SupervisorOptions {
  NodeServices node;  // images, network, runner... (owned by the caller)
  RouteTable* routes = nullptr;
  BackoffPolicy backoff;
  std::chrono::seconds stopGrace{10};
  // Spaces that follow an upstream are fetched, and every repository is checked for a push its
  // hook did not report, this often.
  std::chrono::seconds fetchInterval{300};
  std::chrono::milliseconds switchTimeout{5000};
  size_t historyRetain = 20;
  IdRangePolicy idRanges;
  std::string spacectlPath;  // what the post-receive hooks run
  std::string socketPath;    // the API socket the hooks notify
  std::string sshHost;       // for `spacectl repo`: ssh://<sshHost><path>; empty: hostname
  std::function<std::shared_ptr<const config::Config>()> config;
};

class Supervisor : public api::SpaceLifecycle {
 public:
  Supervisor(SupervisorOptions options, daemon::EventLoop& loop, store::SpaceRegistry& registry);
  ~Supervisor() override;

  Result<void> start() override;
  void shutdown() override;
  Result<void> created(const store::SpaceId& id) override;
  void remove(const store::SpaceId& id, std::function<void(Result<void>)> done) override;
  Result<void> restart(const store::SpaceId& id, bool factory) override;
  Result<void> pause(const store::SpaceId& id) override;
  Result<void> resume(const store::SpaceId& id) override;
  Result<void> hardwareChanged(const store::SpaceId& id) override;
  Result<void> sleepTimeChanged(const store::SpaceId& id) override;
  Result<void> configChanged(const store::SpaceId& id, const api::ConfigChange& change) override;
  Result<void> pushed(const store::SpaceId& id, const api::PushNotice& notice) override;
  Result<nlohmann::json> repository(const store::SpaceId& id) override;
  Result<nlohmann::json> deployments(const store::SpaceId& id) override;
  Result<nlohmann::json> rollback(const store::SpaceId& id, const std::string& sha) override;
  nlohmann::json gpus() override;

  struct SpaceState;

 private:
  SpaceState& state(const store::SpaceId& id);
  Result<void> ensureRepository(const store::SpaceId& id);
  bool deployable(const store::SpaceId& id);
  void enqueue(const store::SpaceId& id, Job job);
  void pump(const store::SpaceId& id);
  Result<SpaceSnapshot> snapshot(const store::SpaceId& id);
  void runJob(store::SpaceId id, Job job, SpaceSnapshot space, Deployment record);
  void runDeploy(const store::SpaceId& id, const Job& job, const SpaceSnapshot& space,
                 Deployment record);
  void runRecover(const store::SpaceId& id, const SpaceSnapshot& space);
  void runStop(const store::SpaceId& id, const Job& job);
  Result<void> switchTo(const store::SpaceId& id, Started started, const Deployment& record);
  void retire(const store::SpaceId& id, std::shared_ptr<Instance> old, int64_t oldSeq);
  void jobDone(const store::SpaceId& id);
  std::optional<Deployment> newRecord(const store::SpaceId& id, const Job& job);
  void saveRecord(const store::SpaceId& id, const Deployment& record);
  void watch(const store::SpaceId& id, std::shared_ptr<Instance> instance);
  // Takes its arguments by value: it may free the callback that called it.
  void onMonitorExit(store::SpaceId id, std::shared_ptr<Instance> instance, std::string why);
  std::optional<config::Flavor> snapshotFlavor(const store::SpaceId& id) const;
  void scheduleFetch(const store::SpaceId& id);
  void update(const store::SpaceId& id, std::function<void(store::Space&)> change);
  void post(std::function<void()> fn);
  // Live restore at start.
  Result<void> restoreSpace(const store::Space& space);
  void restoreInterrupted(const store::SpaceId& id);
  void adoptServing(const store::SpaceId& id);
  bool redeployIfBehind(const store::Space& space, const std::string& reason);
  void checkUnreportedPushes();
  void removeUnknownContainers();
  Result<void> reconcileNetwork(bool atStart);
  Result<void> networkReady();
  Result<void> makeRoomForBuild();
  // options_.node with the settings of the configuration now in force (live_settings.h).
  NodeServices liveNode() const;
  // git.fetch_interval now in force.
  std::chrono::seconds fetchInterval() const;
  // logs.retention, hourly on the loop thread (log_expiry.h).
  void expireLogs();
  // GPUs (supervisor_gpus.cc), on the loop thread.
  Result<void> openGpus();
  std::optional<std::vector<gpu::Gpu>> gpusForPending(const store::SpaceId& id);
  void releaseGpus(const store::SpaceId& id, const std::vector<std::string>& keep);

  git::LibGit2 libgit2_;  // first in, last out: repositories are used until the end
  SupervisorOptions options_;
  daemon::EventLoop& loop_;
  store::SpaceRegistry& registry_;
  std::mutex mutex_;  // guards spaces_ and every SpaceState
  std::map<store::SpaceId, std::unique_ptr<SpaceState>> spaces_;
  IdRanges idRanges_;
  std::unique_ptr<GpuGrants> gpus_;  // loop thread only; set by start()
  daemon::Source pushCheckTimer_;    // loop thread only; checkUnreportedPushes
  daemon::Source logExpiryTimer_;    // loop thread only; expireLogs
  std::atomic<bool> stopping_{false};
  std::mutex networkMutex_;  // guards networkReconciled_; taken before mutex_
  bool networkReconciled_ = false;
  std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace spacelet::agent::supervisor
