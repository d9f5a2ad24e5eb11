// The supervisor's GPU grants, on the loop thread (see gpu_grant.h): before a job that starts
// a deployment is handed out, its Space gets the GPUs of its flavor or waits for them, in a
// visible stage with the reason; when a job ends, the Space keeps only what its serving
// deployment uses, and what it lets go goes to the Spaces waiting, oldest first.
#include "agent/gpu/discovery.h"
#include "agent/supervisor/supervisor.h"
#include "agent/supervisor/supervisor_state.h"
#include "spacelet/base/log.h"

namespace spacelet::agent::supervisor {
namespace {

// Jobs that start a new deployment (a crash recovery reuses the serving one's GPUs).
bool startsDeployment(JobKind kind) {
  return kind == JobKind::kDeploy || kind == JobKind::kRestart || kind == JobKind::kRollback ||
         kind == JobKind::kResume;
}

constexpr std::string_view kWaitingPrefix = "waiting for GPU";

}  // namespace

Result<void> Supervisor::openGpus() {
  // Models and uuids from the host driver, for specs without spacelet's annotations.
  auto host = gpu::discover({});
  auto grants = GpuGrants::open(options_.config()->gpu.cdiDirs, registry_.store().db(),
                                host ? host->hostGpus : std::map<std::string, gpu::HostGpu>{});
  if (!grants) return fail(std::move(grants).error());
  gpus_ = std::move(*grants);
  return {};
}

nlohmann::json Supervisor::gpus() {
  return gpus_ ? gpus_->usageJson() : nlohmann::json::array();
}

// The GPUs for the Space's pending job; nullopt when it must wait or cannot run on this node
// (the Space's stage and error message say which).
std::optional<std::vector<gpu::Gpu>> Supervisor::gpusForPending(const store::SpaceId& id) {
  std::optional<Job> pending;
  bool serving = false;
  {
    std::lock_guard lock(mutex_);
    auto& s = state(id);
    if (s.queue.running()) return std::vector<gpu::Gpu>{};  // take() hands out nothing now
    pending = s.queue.pending();
    serving = s.serving && !s.serving->exited();
    if (s.paused && pending && pending->kind != JobKind::kResume) pending.reset();
  }
  auto flavor = snapshotFlavor(id);
  if (!gpus_ || !pending || !startsDeployment(pending->kind) || !flavor || flavor->gpus == 0) {
    if (gpus_) gpus_->stopWaiting(id.str());
    return std::vector<gpu::Gpu>{};
  }
  auto grant = gpus_->acquire(id.str(), *flavor);
  if (!grant) {
    {
      std::lock_guard lock(mutex_);
      state(id).queue.clearPending();
    }
    Stage stage = stageAfterFailure(Failure::kConfig, serving);
    update(id, [&](store::Space& s) {
      s.stage = stage;
      s.errorMessage = "cannot start on this node: " + grant.error().message;
    });
    return std::nullopt;
  }
  if (!grant->granted) {
    Stage stage =
        progressStage(pending->kind == JobKind::kDeploy ? Step::kBuild : Step::kStart, serving);
    update(id, [&](store::Space& s) {
      s.stage = stage;
      s.errorMessage = grant->reason;
    });
    return std::nullopt;
  }
  update(id, [](store::Space& s) {
    if (s.errorMessage.starts_with(kWaitingPrefix)) s.errorMessage.clear();
  });
  return std::move(grant->gpus);
}

// After a job: the Space keeps the GPUs in `keep` (its serving deployment's) and lets go of
// the rest; the Spaces waiting are offered what was released.
void Supervisor::releaseGpus(const store::SpaceId& id, const std::vector<std::string>& keep) {
  if (!gpus_) return;
  auto released = gpus_->keepOnly(id.str(), keep);
  if (!released) {
    log::error("space '" + id.str() + "': " + released.error().message);
    return;
  }
  if (!*released) return;
  log::info("space '" + id.str() + "': released GPUs; it keeps " +
            std::to_string(gpus_->held(id.str()).size()));
  for (const auto& waiter : gpus_->waiting()) {
    auto waiting = store::parseSpaceId(waiter);
    if (waiting && *waiting != id) pump(*waiting);
  }
}

}  // namespace spacelet::agent::supervisor
