// Stage bookkeeping of the recording lifecycle (see recording_lifecycle.h).
#include "agent/daemon/recording_lifecycle.h"

namespace spacelet::agent::daemon {

void RecordingLifecycle::remove(const store::SpaceId&, std::function<void(Result<void>)> done) {
  done({});  // nothing runs, so nothing to stop first
}

Result<void> RecordingLifecycle::restart(const store::SpaceId& id, bool) {
  const store::Space* space = registry_.find(id);
  if (space && space->stage == store::Stage::kPaused) return resume(id);
  return {};
}

Result<void> RecordingLifecycle::pause(const store::SpaceId& id) {
  auto updated = registry_.update(id, [](store::Space& s) {
    s.stageBeforePause = s.stage;
    s.stage = store::Stage::kPaused;
  });
  if (!updated) return fail(std::move(updated).error());
  return {};
}

Result<void> RecordingLifecycle::resume(const store::SpaceId& id) {
  auto updated = registry_.update(id, [](store::Space& s) {
    s.stage = s.stageBeforePause.value_or(store::Stage::kNoAppFile);
    s.stageBeforePause.reset();
  });
  if (!updated) return fail(std::move(updated).error());
  return {};
}

}  // namespace spacelet::agent::daemon
