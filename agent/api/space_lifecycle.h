// The seam between the API and whatever makes Spaces real (git repositories, builds,
// containers: the supervisor of "Spaces from git"). The API validates each request, stores
// what was asked through the SpaceRegistry (requested hardware, sleep time, secrets, a
// "space.requested" event), then calls the lifecycle to act on it.
//
// Rules for implementations:
//  - Every call comes on the event loop thread and must return quickly: hand slow work (git,
//    builds, spacelet-run) to worker threads and come back with EventLoop::post().
//  - Stages and runtime fields change only through SpaceRegistry::update(), which stores the
//    change and emits its event.
//  - An error returned here reaches the API caller (its Error code picks the HTTP status:
//    EINVAL 400, ENOENT 404, EEXIST/EBUSY 409, anything else 500).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/api/image_service.h"
#include "agent/store/space.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::api {

// What changed in a Space's configuration (values are never passed here).
struct ConfigChange {
  enum class Kind { kSecret, kVariable } kind = Kind::kSecret;
  std::string key;
  bool deleted = false;
};

// A push to the Space's repository (from its post-receive hook) or a request to fetch its
// upstream source now.
struct PushNotice {
  std::string ref;  // e.g. "refs/heads/main"; "" when unknown
  std::string sha;  // the new commit; "" to fetch the upstream and use its head
};

class SpaceLifecycle {
 public:
  virtual ~SpaceLifecycle() = default;

  // After the registry has loaded every Space at agent start: re-adopt what is running.
  virtual Result<void> start() = 0;
  // SIGTERM: stop taking new work. Containers keep running (they outlive the agent).
  virtual void shutdown() = 0;

  // The Space was registered, with stage NO_APP_FILE. Set up what it needs.
  virtual Result<void> created(const store::SpaceId& id) = 0;
  // DELETE: the stage is already DELETING. Stop and clean up, then call done (now or later, on
  // the loop thread); on success the API erases the Space from the registry.
  virtual void remove(const store::SpaceId& id, std::function<void(Result<void>)> done) = 0;
  // Restart the app; factory: rebuild without the build cache.
  virtual Result<void> restart(const store::SpaceId& id, bool factory) = 0;
  // Stop the app and keep it stopped (stage PAUSED) until resume.
  virtual Result<void> pause(const store::SpaceId& id) = 0;
  virtual Result<void> resume(const store::SpaceId& id) = 0;
  // hardware.requested is stored; move the Space to that flavor.
  virtual Result<void> hardwareChanged(const store::SpaceId& id) = 0;
  // sleep_time is stored.
  virtual Result<void> sleepTimeChanged(const store::SpaceId& id) = 0;
  // A secret or variable was set or deleted (the app restarts with its new environment).
  virtual Result<void> configChanged(const store::SpaceId& id, const ConfigChange& change) = 0;
  virtual Result<void> pushed(const store::SpaceId& id, const PushNotice& notice) = 0;

  // Git and deployments (the supervisor of "Spaces from git"; see docs/api.md). The defaults
  // answer ENOSYS for lifecycles without repositories.
  // {"path", "ssh_url", "branch", "head"}: where to push.
  virtual Result<nlohmann::json> repository(const store::SpaceId& id) {
    return fail(Error{ENOSYS, "Space '" + id.str() + "' has no repository on this agent"});
  }
  // {"serving": seq|null, "deployments": [newest first]}.
  virtual Result<nlohmann::json> deployments(const store::SpaceId& id) {
    return fail(Error{ENOSYS, "Space '" + id.str() + "' has no deployments on this agent"});
  }
  // Redeploys the build of the newest deployment of `sha` that served, without building.
  virtual Result<nlohmann::json> rollback(const store::SpaceId& id, const std::string& sha) {
    return fail(Error{ENOSYS, "cannot roll back Space '" + id.str() + "' to '" + sha + "'"});
  }

  // The node's GPUs for /v1/info: [{name, kind, model, uuid, space, waiting}]; [] without any.
  virtual nlohmann::json gpus() { return nlohmann::json::array(); }

  // The node's image store behind /v1/images (owned by the lifecycle); nullptr when the
  // lifecycle has none.
  virtual ImageService* imageService() { return nullptr; }
};

}  // namespace spacelet::agent::api
