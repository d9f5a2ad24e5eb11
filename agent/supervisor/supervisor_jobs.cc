// The supervisor's jobs, on worker threads: deploy (through a Deployer, after the disk check
// a build needs), switch the route and retire the old deployment, recover a crashed app,
// stop. And the loop-thread side of a crash: the monitor's exit, the reason, the backoff (see
// supervisor.h).
#include <sys/epoll.h>
#include <sys/stat.h>

#include <filesystem>

#include "agent/build/store_maintenance.h"
#include "agent/bundle/bundle.h"
#include "agent/store/clock.h"
#include "agent/store/space_paths.h"
#include "agent/supervisor/connection_drain.h"
#include "agent/supervisor/health_probe.h"
#include "agent/supervisor/layout.h"
#include "agent/supervisor/live_settings.h"
#include "agent/supervisor/log_tail.h"
#include "agent/supervisor/node_images.h"
#include "agent/supervisor/supervisor.h"
#include "agent/supervisor/supervisor_state.h"
#include "spacelet/base/log.h"

namespace spacelet::agent::supervisor {
namespace {

// The deployment a reuse job (restart, resume, rollback) runs the build of.
const Deployment* buildSource(const DeploymentHistory& history, const Job& job) {
  if (job.kind == JobKind::kRollback) return history.find(job.fromSeq);
  if (const Deployment* serving = history.serving()) return serving;
  for (auto it = history.all().rbegin(); it != history.all().rend(); ++it) {
    bool ran = it->outcome == Outcome::kReplaced || it->outcome == Outcome::kStopped;
    if (ran && !it->image.empty()) return &*it;
  }
  return nullptr;
}

void copyBuild(const Deployment& from, Deployment& to) {
  to.sha = from.sha;
  to.summary = from.summary;
  to.buildSeq = from.buildSeq;
  to.image = from.image;
  to.sdk = from.sdk;
  to.appPort = from.appPort;
  to.startupTimeoutSeconds = from.startupTimeoutSeconds;
  to.title = from.title;
  to.outcome = Outcome::kStarting;
}

}  // namespace

// With mutex_ held. A new history record for a job that deploys; nullopt for recover and stop.
std::optional<Deployment> Supervisor::newRecord(const store::SpaceId& id, const Job& job) {
  if (job.kind == JobKind::kRecover || job.kind == JobKind::kStop) return std::nullopt;
  auto& s = state(id);
  Deployment d;
  d.job = std::string(jobKindName(job.kind));
  d.reason = job.reason;
  d.createdAtMs = store::nowMs();
  const store::Space* space = registry_.find(id);
  if (space) d.hardware = space->hardwareRequested;
  if (job.kind != JobKind::kDeploy) {
    const Deployment* from = buildSource(s.history, job);
    if (!from) {
      // Nothing ever served: a restart or resume builds what was pushed.
      d.job = "deploy";
    } else {
      copyBuild(*from, d);
    }
  }
  Deployment& added = s.history.add(std::move(d));
  Deployment copy = added;
  for (int64_t dropped : s.history.takeDropped()) {
    std::error_code ec;
    std::filesystem::remove_all(deploymentPaths(options_.node.stateDir, id, dropped).dir, ec);
  }
  if (auto ok = s.history.save(historyPath(options_.node.stateDir, id)); !ok) {
    log::error(ok.error().message);
  }
  return copy;
}

void Supervisor::saveRecord(const store::SpaceId& id, const Deployment& record) {
  std::lock_guard lock(mutex_);
  auto it = spaces_.find(id);
  if (it == spaces_.end()) return;
  if (Deployment* d = it->second->history.find(record.seq)) *d = record;
  (void)it->second->history.save(historyPath(options_.node.stateDir, id));
}

NodeServices Supervisor::liveNode() const {
  return options_.config ? withLiveSettings(options_.node, *options_.config()) : options_.node;
}

// Before a build (on its worker): the watermark check with what no pruning may remove, the
// images Spaces' deployments use and the recipes' bases.
Result<void> Supervisor::makeRoomForBuild() {
  image::Watermarks marks;
  if (auto config = options_.config ? options_.config() : nullptr) {
    marks = {static_cast<double>(config->builds.diskHighWatermark) / 100,
             static_cast<double>(config->builds.diskLowWatermark) / 100};
  }
  // Under the high mark (the usual case) nothing else is read.
  auto usage = image::diskUsage(options_.node.images->options().root);
  if (usage && image::bytesOverWatermark(*usage, marks) == 0) return {};
  std::vector<store::SpaceId> ids;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, _] : spaces_) ids.push_back(id);
  }
  const build::RecipeSettings r = liveNode().recipes;
  std::set<std::string> kept = {r.gradioBase, r.streamlitBase, r.staticBase};
  for (const auto& [image, _] : imagesUsedBySpaces(options_.node.stateDir, ids)) kept.insert(image);
  auto report = build::makeRoomForBuild(
      *options_.node.images, build::BuildCache(options_.node.builder.cacheRoot), kept, marks);
  if (!report) return fail(std::move(report).error());
  if (report->imagesRemoved > 0 || report->cacheRecordsRemoved > 0) {
    log::info("images: over the disk high watermark before a build; removed " +
              std::to_string(report->imagesRemoved) + " images and " +
              std::to_string(report->cacheRecordsRemoved) + " build cache records");
  }
  return {};
}

void Supervisor::runDeploy(const store::SpaceId& id, const Job& job, const SpaceSnapshot& space,
                           Deployment record) {
  auto servingAlive = [this, id] {
    std::lock_guard lock(mutex_);
    auto it = spaces_.find(id);
    return it != spaces_.end() && it->second->serving && !it->second->serving->exited();
  };
  const std::atomic<bool>* cancelled = nullptr;
  {
    std::lock_guard lock(mutex_);
    cancelled = &state(id).cancel;
  }
  DeployRequest request{space,
                        job,
                        record,
                        [this, id](const Deployment& r) { saveRecord(id, r); },
                        [this, id, servingAlive](Step step) {
                          Stage stage = progressStage(step, servingAlive());
                          post([this, id, stage] {
                            update(id, [stage](store::Space& s) {
                              if (s.stage != Stage::kPaused) s.stage = stage;
                            });
                          });
                        },
                        cancelled};
  NodeServices node = liveNode();
  Deployer deployer(node, std::move(request));
  auto started = deployer.run();
  if (!started) {
    Deployment failed = deployer.record();
    Stage stage = stageAfterFailure(deployer.failure(), servingAlive());
    std::string message = "deployment #" + std::to_string(failed.seq) + " failed (" +
                          failed.failedStage + "): " + failed.error;
    post([this, id, stage, message] {
      update(id, [&](store::Space& s) {
        if (s.stage == Stage::kPaused) return;
        s.stage = stage;
        s.errorMessage = message;
      });
    });
    return;
  }
  if (auto ok = switchTo(id, std::move(*started), deployer.record()); !ok) {
    log::error("space '" + id.str() + "': " + ok.error().message);
  }
}

// Moves traffic to the new deployment, then retires the one it replaces. Runs on the worker.
Result<void> Supervisor::switchTo(const store::SpaceId& id, Started started,
                                  const Deployment& deployed) {
  std::shared_ptr<Instance> fresh = std::move(started.instance);
  bool abandon = false;
  {
    std::lock_guard lock(mutex_);
    auto& s = state(id);
    abandon = s.paused || s.deleting || stopping_;
  }
  if (abandon) {  // paused or deleted while it was being built
    retire(id, fresh, deployed.seq);
    Deployment stopped = deployed;
    stopped.outcome = Outcome::kStopped;
    stopped.endedAtMs = store::nowMs();
    saveRecord(id, stopped);
    return {};
  }
  std::string host = spaceHost(id, options_.node.domain);
  auto generation = options_.routes->set(host, started.backend);
  if (!generation) return fail(std::move(generation).error());
  if (auto ok = options_.routes->waitApplied(*generation, options_.switchTimeout); !ok) {
    log::warning("space '" + id.str() + "': " + ok.error().message);
  }
  std::shared_ptr<Instance> old;
  int64_t oldSeq = 0;
  Deployment now = deployed;
  {
    std::lock_guard lock(mutex_);
    auto& s = state(id);
    old = std::move(s.serving);
    if (Deployment* previous = s.history.serving()) {
      oldSeq = previous->seq;
      previous->outcome = Outcome::kReplaced;
      previous->endedAtMs = store::nowMs();
    }
    now.outcome = Outcome::kServing;
    now.servingAtMs = store::nowMs();
    if (Deployment* d = s.history.find(now.seq)) *d = now;
    (void)s.history.save(historyPath(options_.node.stateDir, id));
    s.serving = fresh;
    s.nextInstance = 1;
    s.backoff.reset();
    s.backoff.healthy(Clock::now());
  }
  auto paths = deploymentPaths(options_.node.stateDir, id, now.seq);
  pointCurrentLog(store::logsDir(options_.node.stateDir, id), "run.log", paths.runLog);
  post([this, id, fresh, now] {
    watch(id, fresh);
    update(id, [&](store::Space& s) {
      s.stage = Stage::kRunning;
      s.sha = now.sha;
      s.address = now.address;
      s.errorMessage.clear();
      s.hardwareCurrent = now.hardware.empty() ? s.hardwareRequested : now.hardware;
    });
  });
  if (old || oldSeq) retire(id, old, oldSeq);
  return {};
}

// Stops a deployment's container (SIGTERM, grace, SIGKILL) and frees its network and bundle.
// First the requests the proxy passed to it before the switch finish (up to the grace period):
// stopping the app under them would leave their clients without a reply.
void Supervisor::retire(const store::SpaceId& id, std::shared_ptr<Instance> old, int64_t oldSeq) {
  if (old) {
    old->retiring = true;
    if (size_t open = waitForDrain(old->lastState().pid, options_.stopGrace); open > 0) {
      log::info("space '" + id.str() + "': stopping deployment #" + std::to_string(oldSeq) +
                " with " + std::to_string(open) + " connections still open after " +
                std::to_string(options_.stopGrace.count()) + "s (supervisor.stop_grace)");
    }
    if (auto ok = stopInstance(options_.node.runner, *old, options_.stopGrace); !ok) {
      log::warning("space '" + id.str() + "': " + ok.error().message);
    }
  }
  if (oldSeq == 0) return;
  (void)options_.node.network->release(networkKey(id, oldSeq));
  auto paths = deploymentPaths(options_.node.stateDir, id, oldSeq);
  if (auto ok = bundle::removeBundle(paths.bundle); !ok && ok.error().code != ENOENT) {
    log::warning("space '" + id.str() + "': " + ok.error().message);
  }
}

// A new container for the serving deployment, after its app crashed.
void Supervisor::runRecover(const store::SpaceId& id, const SpaceSnapshot& space) {
  std::optional<Deployment> serving;
  int number = 0;
  {
    std::lock_guard lock(mutex_);
    auto& s = state(id);
    if (s.serving && !s.serving->exited()) return;  // already running again
    if (const Deployment* d = s.history.serving()) serving = *d;
    number = s.nextInstance++;
  }
  if (!serving) return;
  auto paths = deploymentPaths(options_.node.stateDir, id, serving->seq);
  InstanceSpec spec{id,          serving->seq, number, paths.bundle, paths.monitorState(number),
                    paths.runLog};
  auto fail = [&](const std::string& why) {
    post([this, id, why] { onMonitorExit(id, nullptr, why); });
  };
  auto instance = startInstance(liveNode().runner, spec);
  if (!instance) return fail(instance.error().message);
  std::shared_ptr<Instance> fresh = std::move(*instance);
  auto at = serving->address.rfind(':');
  ProbeTarget target{serving->address.substr(0, at), static_cast<uint16_t>(serving->appPort),
                     options_.node.nodeNetns, spaceHost(id, options_.node.domain)};
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(serving->startupTimeoutSeconds);
  auto healthy = waitHealthy(target, deadline, [&] { return !fresh->exited() && !stopping_; });
  if (!healthy) {
    if (!fresh->exited()) (void)stopInstance(options_.node.runner, *fresh, std::chrono::seconds(2));
    return fail(healthy.error().message);
  }
  {
    std::lock_guard lock(mutex_);
    auto& s = state(id);
    s.serving = fresh;
    s.backoff.healthy(Clock::now());
  }
  (void)options_.routes->set(spaceHost(id, options_.node.domain), serving->address);
  post([this, id, fresh] {
    watch(id, fresh);
    update(id, [](store::Space& s) {
      s.stage = Stage::kRunning;
      s.errorMessage.clear();
    });
  });
  (void)space;
}

// Pause or delete: the app stops and stays stopped; its route goes away.
void Supervisor::runStop(const store::SpaceId& id, const Job& job) {
  std::shared_ptr<Instance> old;
  int64_t oldSeq = 0;
  {
    std::lock_guard lock(mutex_);
    auto& s = state(id);
    old = std::move(s.serving);
    if (Deployment* d = s.history.serving()) {
      oldSeq = d->seq;
      d->outcome = Outcome::kStopped;
      d->endedAtMs = store::nowMs();
      d->reason += d->reason.empty() ? job.reason : "; " + job.reason;
    }
    (void)s.history.save(historyPath(options_.node.stateDir, id));
  }
  auto generation = options_.routes->remove(spaceHost(id, options_.node.domain));
  if (generation) (void)options_.routes->waitApplied(*generation, options_.switchTimeout);
  retire(id, old, oldSeq);
  post([this, id] {
    std::lock_guard lock(mutex_);
    auto it = spaces_.find(id);
    if (it != spaces_.end()) it->second->watch.reset();
  });
}

void Supervisor::watch(const store::SpaceId& id, std::shared_ptr<Instance> instance) {
  auto source = loop_.addIo(instance->pidfd().get(), EPOLLIN,
                            [this, id, instance](uint32_t) { onMonitorExit(id, instance, ""); });
  std::lock_guard lock(mutex_);
  auto it = spaces_.find(id);
  if (it == spaces_.end()) return;
  if (source) {
    it->second->watch = std::move(*source);
  } else {
    log::error("space '" + id.str() + "': watch its container: " + source.error().message);
  }
}

// On the loop: the serving app ended (instance set) or could not be restarted (why set).
void Supervisor::onMonitorExit(store::SpaceId id, std::shared_ptr<Instance> instance,
                               std::string why) {
  std::string reason = why;
  std::string runLog;
  std::chrono::seconds delay{0};
  int64_t memory = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = spaces_.find(id);
    if (it == spaces_.end()) return;
    auto& s = *it->second;
    if (instance) {
      if (instance != s.serving) return;  // an old one, already replaced
      // This runs inside the watch's own callback: stop it now, free it after returning.
      (void)s.watch.disable();
      auto done = std::make_shared<daemon::Source>(std::move(s.watch));
      loop_.post([done] {});
      if (instance->retiring) return;
      s.serving.reset();
    }
    if (s.paused || s.deleting || stopping_) return;
    const Deployment* serving = s.history.serving();
    if (!serving) return;
    runLog = deploymentPaths(options_.node.stateDir, id, serving->seq).runLog;
    if (auto space = snapshotFlavor(id)) memory = static_cast<int64_t>(space->memoryBytes);
    delay = s.backoff.crashed(Clock::now());
  }
  if (instance) {
    auto state = instance->refresh();
    reason = state ? exitReason(state->signaled, state->exitValue, state->oomKilled, memory)
                   : state.error().message;
  }
  auto tail = readLastLines(runLog, options_.node.logTailLines);
  std::string next = delay.count() == 0 ? "restarting now"
                                        : "restarting in " + std::to_string(delay.count()) + "s";
  update(id, [&](store::Space& s) {
    s.stage = Stage::kRuntimeError;
    s.restarts++;
    s.lastExit = reason;
    s.errorMessage = withLogTail("the app stopped: " + reason + "; " + next, tail);
  });
  auto timer = loop_.addTimer(delay, [this, id] {
    enqueue(id, Job{JobKind::kRecover, "", false, 0, "crash restart"});
  });
  std::lock_guard lock(mutex_);
  auto it = spaces_.find(id);
  if (it != spaces_.end() && timer) it->second->restartTimer = std::move(*timer);
}

}  // namespace spacelet::agent::supervisor
