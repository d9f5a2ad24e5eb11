// The SpaceLifecycle spaceletd uses until the supervisor of "Spaces from git" replaces it: it
// keeps the books and nothing else. Requests are recorded (the API stores them as events),
// stages change where no running app is involved (pause -> PAUSED, resume -> the stage before,
// restart of a paused Space -> resume, as Hugging Face does), and nothing pretends that an app
// was built or started: a Space without code stays NO_APP_FILE.
#pragma once

#include "agent/api/space_lifecycle.h"
#include "agent/store/space_registry.h"

namespace spacelet::agent::daemon {

class RecordingLifecycle : public api::SpaceLifecycle {
 public:
  explicit RecordingLifecycle(store::SpaceRegistry& registry) : registry_(registry) {}

  Result<void> start() override { return {}; }
  void shutdown() override {}
  Result<void> created(const store::SpaceId&) override { return {}; }
  void remove(const store::SpaceId& id, std::function<void(Result<void>)> done) override;
  Result<void> restart(const store::SpaceId& id, bool factory) override;
  Result<void> pause(const store::SpaceId& id) override;
  Result<void> resume(const store::SpaceId& id) override;
  Result<void> hardwareChanged(const store::SpaceId&) override { return {}; }
  Result<void> sleepTimeChanged(const store::SpaceId&) override { return {}; }
  Result<void> configChanged(const store::SpaceId&, const api::ConfigChange&) override {
    return {};
  }
  Result<void> pushed(const store::SpaceId&, const api::PushNotice&) override { return {}; }

 private:
  store::SpaceRegistry& registry_;
};

}  // namespace spacelet::agent::daemon
