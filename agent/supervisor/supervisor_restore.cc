// The supervisor at agent start and stop, and its read-side API: live restore (re-adopt the
// serving containers from their monitors' state files, redo interrupted deployments, remove
// containers nobody knows, reconcile the network, deploy what was pushed while the agent was
// down), shutdown, repository, deployments and rollback (see supervisor.h).
#include <unistd.h>

#include <filesystem>

#include "agent/bundle/bundle.h"
#include "agent/git/bare_repo.h"
#include "agent/store/clock.h"
#include "agent/supervisor/interrupted_build.h"
#include "agent/supervisor/layout.h"
#include "agent/supervisor/supervisor.h"
#include "agent/supervisor/supervisor_state.h"
#include "spacelet/base/log.h"

namespace spacelet::agent::supervisor {
namespace {

// The newest instance number with a state file in the deployment's directory.
int newestInstance(const std::string& dir) {
  int newest = -1;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename();
    if (name.rfind("monitor-", 0) != 0 || !name.ends_with(".json")) continue;
    try {
      newest = std::max(newest, std::stoi(name.substr(8)));
    } catch (const std::exception&) {
    }
  }
  return newest;
}

nlohmann::json deploymentJson(const Deployment& d) {
  return {
      {"seq", d.seq},
      {"sha", d.sha},
      {"summary", d.summary},
      {"job", d.job},
      {"reason", d.reason},
      {"outcome", outcomeName(d.outcome)},
      {"failed_stage", d.failedStage.empty() ? nlohmann::json() : nlohmann::json(d.failedStage)},
      {"error", d.error.empty() ? nlohmann::json() : nlohmann::json(d.error)},
      {"build_seq", d.buildSeq},
      {"image", d.image},
      {"sdk", d.sdk},
      {"app_port", d.appPort},
      {"hardware", d.hardware},
      {"created_at", store::formatTimestamp(d.createdAtMs)},
      {"built_at", d.builtAtMs ? nlohmann::json(store::formatTimestamp(d.builtAtMs)) : nullptr},
      {"serving_at",
       d.servingAtMs ? nlohmann::json(store::formatTimestamp(d.servingAtMs)) : nullptr},
      {"ended_at", d.endedAtMs ? nlohmann::json(store::formatTimestamp(d.endedAtMs)) : nullptr}};
}

}  // namespace

std::optional<config::Flavor> Supervisor::snapshotFlavor(const store::SpaceId& id) const {
  const store::Space* space = registry_.find(id);
  auto config = options_.config();
  if (!space || !config) return std::nullopt;
  std::string name =
      space->hardwareRequested.empty() ? config->spaces.defaultHardware : space->hardwareRequested;
  auto it = config->flavors.find(name);
  if (it == config->flavors.end()) return std::nullopt;
  return it->second;
}

Result<void> Supervisor::start() {
  options_.node.networkReady = [this] { return networkReady(); };
  options_.node.makeRoomForBuild = [this] { return makeRoomForBuild(); };
  auto ranges = IdRanges::load(options_.node.stateDir + "/id-ranges.json", options_.idRanges);
  if (!ranges) return fail(std::move(ranges).error());
  idRanges_ = std::move(*ranges);
  SPACELET_TRY_CONTEXT(openGpus(), "GPUs");
  for (const store::Space* space : registry_.list()) {
    if (auto ok = restoreSpace(*space); !ok) {
      log::error("space '" + space->id.str() + "': restore: " + ok.error().message);
    }
  }
  removeUnknownContainers();
  if (auto ok = reconcileNetwork(true); !ok)
    log::error("reconcile the network: " + ok.error().message);
  std::vector<store::SpaceId> ids;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, _] : spaces_) ids.push_back(id);
  }
  // Grants survive the restart; a Space keeps those its re-adopted deployment uses.
  for (const auto& id : ids) {
    std::vector<std::string> servingGpus;
    {
      std::lock_guard lock(mutex_);
      if (const Deployment* d = state(id).history.serving()) servingGpus = d->gpus;
    }
    releaseGpus(id, servingGpus);
  }
  for (const auto& id : ids) pump(id);
  auto check = loop_.addTimer(fetchInterval(), [this] { checkUnreportedPushes(); });
  if (!check) return fail(std::move(check).error().withContext("the check for unreported pushes"));
  pushCheckTimer_ = std::move(*check);
  auto expiry = loop_.addTimer(std::chrono::minutes(1), [this] { expireLogs(); });
  if (!expiry) return fail(std::move(expiry).error().withContext("the log expiry"));
  logExpiryTimer_ = std::move(*expiry);
  return {};
}

Result<void> Supervisor::restoreSpace(const store::Space& space) {
  SPACELET_TRY(ensureRepository(space.id));
  {
    std::lock_guard lock(mutex_);
    auto& s = state(space.id);
    s.paused = space.stage == Stage::kPaused;
    if (!space.source.empty()) scheduleFetch(space.id);
  }
  restoreInterrupted(space.id);
  adoptServing(space.id);
  redeployIfBehind(space, "pushed while the agent was down");
  return {};
}

// Deployments that were building or starting when the agent died: take down what they made,
// mark them failed, and run the same job again.
void Supervisor::restoreInterrupted(const store::SpaceId& id) {
  std::vector<Deployment> interrupted;
  {
    std::lock_guard lock(mutex_);
    auto& s = state(id);
    for (Deployment* d : s.history.inProgress()) {
      interrupted.push_back(*d);
      d->outcome = Outcome::kFailed;
      d->failedStage = std::string(store::stageName(Stage::kRuntimeError));
      d->error = "interrupted by an agent restart; deployed again";
      d->endedAtMs = store::nowMs();
    }
    (void)s.history.save(historyPath(options_.node.stateDir, id));
  }
  for (const auto& d : interrupted) {
    auto paths = deploymentPaths(options_.node.stateDir, id, d.seq);
    int newest = newestInstance(paths.dir);
    if (newest >= 0) {
      InstanceSpec spec{id, d.seq, newest, paths.bundle, paths.monitorState(newest), paths.runLog};
      auto adopted = adoptInstance(options_.node.runner, spec, containerId(id, d.seq, newest));
      if (adopted) (void)stopInstance(options_.node.runner, **adopted, std::chrono::seconds(2));
    }
    (void)options_.node.network->release(networkKey(id, d.seq));
    if (std::filesystem::exists(paths.bundle)) (void)bundle::removeBundle(paths.bundle);
    if (d.buildSeq == d.seq) {
      auto removed =
          removeInterruptedBuild(options_.node.builder, options_.node.runner, buildId(id, d.seq));
      if (!removed) log::warning("space '" + id.str() + "': " + removed.error().message);
    }
    Job again{JobKind::kDeploy, "", false, 0, "redo after an agent restart"};
    if (d.buildSeq != d.seq) again = Job{JobKind::kRollback, "", false, d.buildSeq, d.reason};
    std::lock_guard lock(mutex_);
    state(id).queue.push(again);
  }
}

// The serving deployment's container: adopted when its monitor lives on; otherwise its end
// is handled as a crash (recorded, then recovered).
void Supervisor::adoptServing(const store::SpaceId& id) {
  std::optional<Deployment> serving;
  {
    std::lock_guard lock(mutex_);
    if (const Deployment* d = state(id).history.serving()) serving = *d;
  }
  if (!serving) return;
  auto paths = deploymentPaths(options_.node.stateDir, id, serving->seq);
  int newest = std::max(0, newestInstance(paths.dir));
  InstanceSpec spec{id,          serving->seq, newest, paths.bundle, paths.monitorState(newest),
                    paths.runLog};
  auto adopted = adoptInstance(options_.node.runner, spec, containerId(id, serving->seq, newest));
  if (!adopted) {
    log::info("space '" + id.str() + "': its app ended while the agent was away (" +
              adopted.error().message + ")");
    onMonitorExit(id, nullptr, "the app ended while the agent was not running");
    return;
  }
  std::shared_ptr<Instance> instance = std::move(*adopted);
  {
    std::lock_guard lock(mutex_);
    auto& s = state(id);
    s.serving = instance;
    s.nextInstance = newest + 1;
    s.backoff.healthy(Clock::now());
  }
  (void)options_.routes->set(spaceHost(id, options_.node.domain), serving->address);
  watch(id, instance);
  log::info("space '" + id.str() + "': re-adopted container '" + instance->containerId() + "'");
  update(id, [&](store::Space& s) {
    bool inProgress = s.stage == Stage::kRunningBuilding || s.stage == Stage::kRunningAppStarting ||
                      s.stage == Stage::kBuilding || s.stage == Stage::kAppStarting;
    if (inProgress || s.stage == Stage::kRuntimeError) s.stage = Stage::kRunning;
    s.sha = serving->sha;
    s.address = serving->address;
  });
}

// Queues a deployment of a commit on 'main' that no deployment of the history has (pushed
// while the agent was down, or a push its hook could not report), unless the Space is paused
// or busy: a job that runs or waits reads the branch tip when it starts anyway. Returns
// whether it queued one (the caller pumps the queue).
bool Supervisor::redeployIfBehind(const store::Space& space, const std::string& reason) {
  if (space.stage == Stage::kPaused || !space.source.empty()) return false;
  auto repo = git::BareRepo::open(repoPath(options_.node.stateDir, space.id));
  if (!repo) return false;
  auto tip = repo->branchTip();
  if (!tip || !*tip) return false;
  std::lock_guard lock(mutex_);
  auto& s = state(space.id);
  if (s.paused || s.deleting || s.queue.running() || s.queue.pending()) return false;
  for (const auto& d : s.history.all()) {
    if (d.sha == **tip) return false;  // deployed, failed or rolled back from: seen
  }
  log::info("space '" + space.id.str() + "': deploys commit " + (**tip).substr(0, 7) + " (" +
            reason + ")");
  s.queue.push(Job{JobKind::kDeploy, "", false, 0, reason});
  return true;
}

// git ignores what a post-receive hook returns: when its notification fails (spacectl missing
// or being replaced, the agent restarting, a refused request) the push is stored and the agent
// is never told. So every git.fetch_interval the agent reads each Space's branch itself.
void Supervisor::checkUnreportedPushes() {
  std::vector<store::SpaceId> behind;
  for (const store::Space* space : registry_.list()) {
    if (redeployIfBehind(*space, "a push its hook did not report")) behind.push_back(space->id);
  }
  for (const auto& id : behind) pump(id);
  (void)pushCheckTimer_.rearm(fetchInterval());
}

// Containers under the agent's runtime root that no serving deployment owns.
void Supervisor::removeUnknownContainers() {
  auto listed = runRuntime(options_.node.runner, {"list", "-q"});
  if (!listed || !listed->status.success()) return;
  std::set<std::string> known;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, s] : spaces_) {
      if (s->serving) known.insert(s->serving->containerId());
    }
  }
  std::istringstream lines(listed->output);
  for (std::string name; std::getline(lines, name);) {
    if (name.empty() || known.count(name) || !parseContainerId(name)) continue;
    log::info("removing container '" + name + "': no deployment owns it");
    (void)runRuntime(options_.node.runner, {"kill", name, "KILL"});
    (void)runRuntime(options_.node.runner, {"delete", "--force", name});
  }
}

// At start (atStart): routes are rebuilt too, and nothing is done to nftables when nothing
// was ever deployed. Before a first attach: the table is made, routes are left alone (workers
// may be switching).
Result<void> Supervisor::reconcileNetwork(bool atStart) {
  std::vector<netpolicy::SpaceSpec> desired;
  std::map<std::string, std::string> routes;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, s] : spaces_) {
      const Deployment* d = s->history.serving();
      if (!d) continue;
      desired.push_back({networkKey(id, d->seq), static_cast<uint16_t>(d->appPort)});
      if (s->serving) routes[spaceHost(id, options_.node.domain)] = d->address;
    }
  }
  // An agent that never deployed anything leaves the node's nftables alone until it does.
  auto leases = options_.node.network->show();
  if (!atStart || !desired.empty() || !leases || !leases->empty()) {
    SPACELET_TRY(options_.node.network->reconcile(desired));
    networkReconciled_ = true;
  }
  if (!atStart) return {};
  // Builds the previous agent was running when it died: their network is gone (reconcile),
  // and their addresses are freed.
  for (const auto& lease : leases ? *leases : std::vector<netpolicy::SpaceStatus>{}) {
    if (!isBuildNetworkKey(lease.network.spaceId)) continue;
    if (auto released = options_.node.network->release(lease.network.spaceId); !released)
      log::warning("release the network of an interrupted build: " + released.error().message);
  }
  auto generation = options_.routes->retain(routes);
  if (!generation) return fail(std::move(generation).error());
  return {};
}

Result<void> Supervisor::networkReady() {
  std::lock_guard lock(networkMutex_);
  if (networkReconciled_) return {};
  SPACELET_TRY_CONTEXT(reconcileNetwork(false), "set up the node's network");
  networkReconciled_ = true;
  return {};
}

void Supervisor::shutdown() {
  if (stopping_.exchange(true)) return;
  pushCheckTimer_.reset();
  logExpiryTimer_.reset();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, s] : spaces_) {
      s->cancel = true;
      s->watch.reset();
      s->restartTimer.reset();
      s->fetchTimer.reset();
      if (s->worker.joinable()) workers.push_back(std::move(s->worker));
    }
  }
  // Containers keep running; a build in progress finishes its step and is redone next start.
  for (auto& w : workers) w.join();
  alive_->store(false);
}

Result<nlohmann::json> Supervisor::repository(const store::SpaceId& id) {
  std::string path = repoPath(options_.node.stateDir, id);
  auto repo = git::BareRepo::open(path);
  if (!repo) return fail(std::move(repo).error());
  auto tip = repo->branchTip();
  if (!tip) return fail(std::move(tip).error());
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  std::string sshHost = options_.sshHost.empty() ? host : options_.sshHost;
  return nlohmann::json{{"path", path},
                        {"ssh_url", "ssh://" + sshHost + path},
                        {"branch", std::string(git::kDeployBranch)},
                        {"head", *tip ? nlohmann::json(**tip) : nlohmann::json()}};
}

Result<nlohmann::json> Supervisor::deployments(const store::SpaceId& id) {
  std::lock_guard lock(mutex_);
  auto& s = state(id);
  nlohmann::json list = nlohmann::json::array();
  for (auto it = s.history.all().rbegin(); it != s.history.all().rend(); ++it) {
    list.push_back(deploymentJson(*it));
  }
  const Deployment* serving = s.history.serving();
  return nlohmann::json{{"serving", serving ? nlohmann::json(serving->seq) : nlohmann::json()},
                        {"deployments", list}};
}

Result<nlohmann::json> Supervisor::rollback(const store::SpaceId& id, const std::string& sha) {
  int64_t fromSeq = 0;
  std::string fullSha;
  {
    std::lock_guard lock(mutex_);
    const Deployment* target = state(id).history.rollbackTarget(sha);
    if (!target) {
      return fail(Error{ENOENT, "Space '" + id.str() + "' has no earlier build of '" + sha +
                                    "' that served; `spacectl deployments " + id.str() +
                                    "` lists the ones it has"});
    }
    fromSeq = target->seq;
    fullSha = target->sha;
  }
  enqueue(id, Job{JobKind::kRollback, fullSha, false, fromSeq,
                  "rollback to " + fullSha.substr(0, 7) + " (build of #" + std::to_string(fromSeq) +
                      ")"});
  return nlohmann::json{{"sha", fullSha}, {"build_seq", fromSeq}};
}

}  // namespace spacelet::agent::supervisor
