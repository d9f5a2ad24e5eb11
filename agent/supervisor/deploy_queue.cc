// Coalescing rules of a Space's deployment queue (see deploy_queue.h).
#include "agent/supervisor/deploy_queue.h"

namespace spacelet::agent::supervisor {

std::string_view jobKindName(JobKind kind) {
  switch (kind) {
    case JobKind::kDeploy:
      return "deploy";
    case JobKind::kRestart:
      return "restart";
    case JobKind::kRollback:
      return "rollback";
    case JobKind::kResume:
      return "resume";
    case JobKind::kRecover:
      return "recover";
    case JobKind::kStop:
      return "stop";
  }
  return "deploy";
}

Job DeployQueue::merge(const Job& pending, Job incoming) {
  bool pendingBuilds = pending.kind == JobKind::kDeploy || pending.kind == JobKind::kRollback;
  // A restart or resume adds nothing to a pending build or rollback: it restarts the app too.
  bool absorbed = incoming.kind == JobKind::kRestart || incoming.kind == JobKind::kResume ||
                  incoming.kind == JobKind::kRecover;
  if (pendingBuilds && absorbed) {
    return pending;
  }
  // Recovering is what a pending restart or resume does anyway, with the newer config.
  bool startsApp = pending.kind == JobKind::kRestart || pending.kind == JobKind::kResume;
  if (startsApp && incoming.kind == JobKind::kRecover) return pending;
  if (pending.kind == JobKind::kDeploy && incoming.kind == JobKind::kDeploy) {
    incoming.noCache = incoming.noCache || pending.noCache;  // a factory rebuild stays one
  }
  return incoming;  // the newest request wins otherwise (newest commit, latest rollback)
}

void DeployQueue::push(Job job) {
  pending_ = pending_ ? merge(*pending_, std::move(job)) : std::move(job);
}

std::optional<Job> DeployQueue::take() {
  if (running_ || !pending_) return std::nullopt;
  running_ = true;
  std::optional<Job> job = std::move(pending_);
  pending_.reset();
  return job;
}

}  // namespace spacelet::agent::supervisor
