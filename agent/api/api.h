// The /v1 API: authorization by SO_PEERCRED (root, the agent's own user, and members of the
// configured group; everyone else gets 403), the route table, and the handlers. Handlers
// validate input (400 naming the field), store changes through the SpaceRegistry and ask the
// SpaceLifecycle to act. Endpoints are documented in docs/api.md.
// Thread-safety: the event loop thread only.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "agent/api/file_watcher.h"
#include "agent/api/http.h"
#include "agent/api/image_service.h"
#include "agent/api/log_stream.h"
#include "agent/api/router.h"
#include "agent/api/space_lifecycle.h"
#include "agent/config/config.h"
#include "agent/store/space_registry.h"

namespace spacelet::agent::api {

// Facts about the node that /v1/info reports.
struct NodeFacts {
  std::string version;
  std::string hostname;
  std::string cgroupMode;  // "unified", "hybrid" or "legacy"
  unsigned cpus = 0;
  uint64_t memoryBytes = 0;
};

struct ApiContext {
  store::SpaceRegistry* registry = nullptr;
  SpaceLifecycle* lifecycle = nullptr;
  ImageService* images = nullptr;  // the node's image store; nullptr: /v1/images answers 404
  FileWatcher* watcher = nullptr;
  std::function<std::shared_ptr<const config::Config>()> config;
  NodeFacts node;
  // The node's GPUs and who holds them, from the GPU inventory; an empty list when unset.
  std::function<nlohmann::json()> gpus;
  std::optional<gid_t> group;  // members may use the API; nullopt when the group is unknown
  uid_t ownUid = 0;            // the agent's own user may use the API too
  std::function<size_t()> activeStreams;
};

class Api {
 public:
  explicit Api(ApiContext context);
  Response handle(Request& request);
  // Whether this caller may use the API.
  static bool authorized(const Peer& peer, std::optional<gid_t> group, uid_t ownUid);

 private:
  void addRoutes();
  // node
  Response info(Request&, const Params&);
  // spaces
  Response listSpaces(Request&, const Params&);
  Response createSpace(Request&, const Params&);
  Response getSpace(Request&, const Params&);
  Response deleteSpace(Request&, const Params&);
  // actions
  Response restart(Request&, const Params&);
  Response pause(Request&, const Params&);
  Response resume(Request&, const Params&);
  Response setHardware(Request&, const Params&);
  Response setSleepTime(Request&, const Params&);
  Response notifyPush(Request&, const Params&);
  // secrets and variables
  Response listValues(bool secret, const Params&);
  Response getValue(bool secret, const Params&);
  Response putValue(bool secret, Request&, const Params&);
  Response deleteValue(bool secret, Request&, const Params&);
  // repository and deployments
  Response repository(Request&, const Params&);
  Response deployments(Request&, const Params&);
  Response rollback(Request&, const Params&);
  // streams
  Response logs(Request&, const Params&);
  Response events(Request&, const Params&);
  // images
  Response listImages(Request&, const Params&);
  Response removeImage(Request&, const Params&);
  Response importImage(Request&, const Params&);
  Response bootstrapImages(Request&, const Params&);
  Response pruneImages(Request&, const Params&);
  Response startImageJob(const ImageJob& job);

  // Shared steps.
  Result<const store::Space*> findSpace(const Params& params) const;
  Result<void> checkNotDeleting(const store::Space& space) const;
  Result<void> recordRequest(const store::Space& space, const Request& request,
                             nlohmann::json data);
  Result<void> validateNewSpace(const store::NewSpace& space, const config::Config& config) const;
  Result<void> validateValue(const std::string& key, const std::string& value,
                             const std::string& description) const;
  Result<std::optional<StreamFormat>> streamFormat(const Request& request) const;
  std::optional<Response> tooManyStreams() const;
  Response spaceResponse(const store::SpaceId& id, int status = 200) const;

  ApiContext ctx_;
  Router router_;
};

// The HTTP status and error code for an Error from the layers below.
Response errorFor(const Error& error);

// Query booleans: "1", "true", "yes" / "0", "false", "no" / absent (nullopt); else an error.
Result<std::optional<bool>> queryBool(const Request& request, const std::string& name);
Result<std::optional<int64_t>> queryInteger(const Request& request, const std::string& name,
                                            int64_t min, int64_t max);

}  // namespace spacelet::agent::api
