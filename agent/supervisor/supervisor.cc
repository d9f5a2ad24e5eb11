// The supervisor's SpaceLifecycle side, on the event loop thread: requests become jobs in the
// Space's queue, the queue hands one job at a time to a worker, and the serving container's
// monitor is watched for crashes (see supervisor.h).
#include "agent/supervisor/supervisor.h"

#include <unistd.h>

#include "agent/git/bare_repo.h"
#include "agent/git/post_receive_hook.h"
#include "agent/store/clock.h"
#include "agent/store/space_paths.h"
#include "agent/supervisor/layout.h"
#include "agent/supervisor/log_expiry.h"
#include "agent/supervisor/log_tail.h"
#include "agent/supervisor/supervisor_state.h"
#include "spacelet/base/log.h"

namespace spacelet::agent::supervisor {
namespace {

std::string idRangesPath(const std::string& stateDir) {
  return stateDir + "/id-ranges.json";
}

}  // namespace

Supervisor::Supervisor(SupervisorOptions options, daemon::EventLoop& loop,
                       store::SpaceRegistry& registry)
    : options_(std::move(options)),
      loop_(loop),
      registry_(registry),
      idRanges_(options_.idRanges) {}

Supervisor::~Supervisor() {
  shutdown();
}

void Supervisor::post(std::function<void()> fn) {
  // Work that finishes after the supervisor is gone is dropped, not run on a dead object.
  std::weak_ptr<std::atomic<bool>> alive = alive_;
  loop_.post([alive, fn = std::move(fn)] {
    if (auto a = alive.lock(); a && a->load()) fn();
  });
}

void Supervisor::update(const store::SpaceId& id, std::function<void(store::Space&)> change) {
  if (!registry_.find(id)) return;  // deleted meanwhile
  if (auto ok = registry_.update(id, change); !ok) {
    log::error("space '" + id.str() + "': " + ok.error().message);
  }
}

Supervisor::SpaceState& Supervisor::state(const store::SpaceId& id) {
  auto& slot = spaces_[id];
  if (!slot) {
    slot = std::make_unique<SpaceState>(options_.historyRetain, options_.backoff);
    auto history =
        DeploymentHistory::load(historyPath(options_.node.stateDir, id), options_.historyRetain);
    if (history) {
      slot->history = std::move(*history);
    } else {
      log::error("space '" + id.str() + "': " + history.error().message);
    }
  }
  return *slot;
}

Result<void> Supervisor::ensureRepository(const store::SpaceId& id) {
  auto repo = git::BareRepo::create(repoPath(options_.node.stateDir, id));
  if (!repo) return fail(std::move(repo).error());
  return git::installPostReceiveHook(repo->path(),
                                     {options_.spacectlPath, options_.socketPath, id.str()});
}

Result<void> Supervisor::created(const store::SpaceId& id) {
  SPACELET_TRY_CONTEXT(ensureRepository(id), "create the repository of '" + id.str() + "'");
  std::lock_guard lock(mutex_);
  state(id);
  const store::Space* space = registry_.find(id);
  // An upstream is fetched at each interval and on `spacectl notify` (which fetches now).
  if (space && !space->source.empty()) scheduleFetch(id);
  return {};
}

// Whether the Space has anything to run: a commit on main, an upstream to fetch, or a build
// that served. A Space with none stays NO_APP_FILE without starting any work.
bool Supervisor::deployable(const store::SpaceId& id) {
  const store::Space* space = registry_.find(id);
  if (space && !space->source.empty()) return true;
  {
    std::lock_guard lock(mutex_);
    for (const auto& d : state(id).history.all()) {
      if (!d.image.empty()) return true;
    }
  }
  auto repo = git::BareRepo::open(repoPath(options_.node.stateDir, id));
  if (!repo) return false;
  auto tip = repo->branchTip();
  return tip && tip->has_value();
}

void Supervisor::enqueue(const store::SpaceId& id, Job job) {
  if (job.kind != JobKind::kStop && !deployable(id)) return;
  {
    std::lock_guard lock(mutex_);
    state(id).queue.push(std::move(job));
  }
  pump(id);
}

Result<void> Supervisor::pushed(const store::SpaceId& id, const api::PushNotice& notice) {
  if (!notice.ref.empty() && notice.ref != "refs/heads/" + std::string(git::kDeployBranch)) {
    return {};  // only main deploys; spacectl notify tells the pusher
  }
  std::string reason =
      notice.sha.empty() ? "fetch requested" : "push of " + notice.sha.substr(0, 7);
  // The branch tip is read when the job starts: the newest commit, never a stale one.
  enqueue(id, Job{JobKind::kDeploy, "", false, 0, reason});
  return {};
}

Result<void> Supervisor::restart(const store::SpaceId& id, bool factory) {
  const store::Space* space = registry_.find(id);
  if (space && space->stage == store::Stage::kPaused) {
    SPACELET_TRY(resume(id));  // as Hugging Face's restart of a paused Space
    if (!factory) return {};
  }
  if (factory) {
    enqueue(id, Job{JobKind::kDeploy, "", true, 0, "factory rebuild"});
  } else {
    enqueue(id, Job{JobKind::kRestart, "", false, 0, "restart requested"});
  }
  return {};
}

Result<void> Supervisor::pause(const store::SpaceId& id) {
  {
    std::lock_guard lock(mutex_);
    auto& s = state(id);
    s.paused = true;
    s.queue.clearPending();
    s.restartTimer.reset();
  }
  update(id, [](store::Space& s) {
    s.stageBeforePause = s.stage;
    s.stage = store::Stage::kPaused;
  });
  enqueue(id, Job{JobKind::kStop, "", false, 0, "paused"});
  return {};
}

Result<void> Supervisor::resume(const store::SpaceId& id) {
  {
    std::lock_guard lock(mutex_);
    state(id).paused = false;
  }
  bool starts = deployable(id);
  update(id, [starts](store::Space& s) {
    // Nothing to start: back to where the pause found it (NO_APP_FILE, an error stage...).
    s.stage =
        starts ? store::Stage::kAppStarting : s.stageBeforePause.value_or(store::Stage::kNoAppFile);
    s.stageBeforePause.reset();
  });
  if (starts) enqueue(id, Job{JobKind::kResume, "", false, 0, "resumed"});
  return {};
}

Result<void> Supervisor::hardwareChanged(const store::SpaceId& id) {
  enqueue(id, Job{JobKind::kRestart, "", false, 0, "hardware changed"});
  return {};
}

Result<void> Supervisor::sleepTimeChanged(const store::SpaceId&) {
  return {};  // stored by the API; spacelet keeps Spaces running (no idle sleep yet)
}

Result<void> Supervisor::configChanged(const store::SpaceId& id, const api::ConfigChange& c) {
  std::string what = c.kind == api::ConfigChange::Kind::kSecret ? "secret" : "variable";
  enqueue(id, Job{JobKind::kRestart, "", false, 0,
                  what + " '" + c.key + "' " + (c.deleted ? "deleted" : "set")});
  return {};
}

void Supervisor::remove(const store::SpaceId& id, std::function<void(Result<void>)> done) {
  {
    std::lock_guard lock(mutex_);
    auto& s = state(id);
    if (!s.queue.running() && !s.serving && !s.history.serving()) {  // nothing runs: done now
      spaces_.erase(id);
      idRanges_.release(id.str());
      (void)idRanges_.save(idRangesPath(options_.node.stateDir));
      if (gpus_) gpus_->stopWaiting(id.str());
      releaseGpus(id, {});
      return done({});
    }
    s.deleting = true;
    s.cancel = true;
    s.removed = std::move(done);
    s.queue.clearPending();
    s.restartTimer.reset();
    s.fetchTimer.reset();
  }
  enqueue(id, Job{JobKind::kStop, "", false, 0, "deleted"});
}

std::chrono::seconds Supervisor::fetchInterval() const {
  if (!options_.config) return options_.fetchInterval;
  return std::chrono::seconds(options_.config()->git.fetchIntervalSeconds);
}

void Supervisor::expireLogs() {
  if (options_.config) {
    auto retention = std::chrono::seconds(options_.config()->logs.retentionSeconds);
    std::vector<std::pair<store::SpaceId, DeploymentHistory>> histories;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [id, s] : spaces_) histories.emplace_back(id, s->history);
    }
    size_t removed = 0;
    for (const auto& [id, history] : histories) {
      removed +=
          expireDeploymentLogs(options_.node.stateDir, id, history, store::nowMs(), retention);
    }
    if (removed > 0) {
      log::info("logs: removed " + std::to_string(removed) +
                " log files of deployments that ended more than logs.retention ago");
    }
  }
  (void)logExpiryTimer_.rearm(std::chrono::hours(1));
}

void Supervisor::scheduleFetch(const store::SpaceId& id) {
  auto timer = loop_.addTimer(fetchInterval(), [this, id] {
    enqueue(id, Job{JobKind::kDeploy, "", false, 0, "periodic fetch"});
    std::lock_guard lock(mutex_);
    auto it = spaces_.find(id);
    if (it != spaces_.end() && !it->second->deleting) {
      (void)it->second->fetchTimer.rearm(fetchInterval());
    }
  });
  if (timer) state(id).fetchTimer = std::move(*timer);
}

// Hands the Space's next job to a worker when none runs.
void Supervisor::pump(const store::SpaceId& id) {
  if (stopping_) return;
  auto gpus = gpusForPending(id);
  if (!gpus) return;  // waits for a GPU (or cannot have one here)
  std::optional<Job> job;
  std::optional<Deployment> record;
  {
    std::lock_guard lock(mutex_);
    auto& s = state(id);
    if (s.paused && !s.queue.running() && s.queue.pending() &&
        s.queue.pending()->kind != JobKind::kStop && s.queue.pending()->kind != JobKind::kResume) {
      s.queue.clearPending();  // nothing deploys while paused; resume deploys the newest
      return;
    }
    job = s.queue.take();
    if (!job) return;
    if (s.worker.joinable()) s.worker.join();
    record = newRecord(id, *job);
    if (record) {
      for (const auto& g : *gpus) record->gpus.push_back(g.name);
      if (Deployment* d = s.history.find(record->seq)) d->gpus = record->gpus;
    }
  }
  auto space = snapshot(id);
  if (!space) {
    log::error("space '" + id.str() + "': " + space.error().message);
    jobDone(id);
    return;
  }
  space->gpus = std::move(*gpus);
  if (gpus_) space->cdi = gpus_->registry();
  std::lock_guard lock(mutex_);
  auto& s = state(id);
  s.cancel = s.deleting;
  s.worker = std::thread([this, id, j = *job, sp = std::move(*space), rec = record] {
    if (rec) {
      runDeploy(id, j, sp, *rec);
    } else if (j.kind == JobKind::kRecover) {
      runRecover(id, sp);
    } else {
      runStop(id, j);
    }
    post([this, id] { jobDone(id); });
  });
}

void Supervisor::jobDone(const store::SpaceId& id) {
  std::function<void(Result<void>)> removed;
  std::vector<std::string> servingGpus;
  {
    std::lock_guard lock(mutex_);
    auto it = spaces_.find(id);
    if (it == spaces_.end()) return;
    auto& s = *it->second;
    if (s.worker.joinable()) s.worker.join();
    s.queue.finished();
    if (const Deployment* serving = s.history.serving()) servingGpus = serving->gpus;
    if (s.deleting && !s.queue.pending()) {
      removed = std::move(s.removed);
      idRanges_.release(id.str());
      (void)idRanges_.save(idRangesPath(options_.node.stateDir));
      spaces_.erase(it);
    }
  }
  releaseGpus(id, servingGpus);
  if (removed) return removed({});
  pump(id);
}

Result<SpaceSnapshot> Supervisor::snapshot(const store::SpaceId& id) {
  const store::Space* space = registry_.find(id);
  if (!space) return fail(Error{ENOENT, "Space '" + id.str() + "' does not exist"});
  auto config = options_.config();
  SpaceSnapshot snap;
  snap.id = id;
  snap.sdk = space->sdk;
  snap.source = space->source;
  snap.flavorName =
      space->hardwareRequested.empty() ? config->spaces.defaultHardware : space->hardwareRequested;
  auto flavor = config->flavors.find(snap.flavorName);
  if (flavor == config->flavors.end()) {
    return failInvalid("hardware '" + snap.flavorName + "' is not a flavor of this node");
  }
  snap.flavor = flavor->second;
  auto secrets = registry_.secretValues(id);
  if (!secrets) return fail(std::move(secrets).error());
  snap.secrets = std::move(*secrets);
  auto variables = registry_.listVariables(id);
  if (!variables) return fail(std::move(variables).error());
  for (const auto& v : *variables) snap.variables[v.key] = v.value;
  std::lock_guard lock(mutex_);
  auto ids = idRanges_.assign(id.str());
  if (!ids) return fail(std::move(ids).error());
  (void)idRanges_.save(idRangesPath(options_.node.stateDir));
  snap.ids = *ids;
  return snap;
}

}  // namespace spacelet::agent::supervisor
