// Authorization, the route table and the helpers every handler shares (see api.h).
#include "agent/api/api.h"

#include <algorithm>
#include <charconv>

#include "agent/store/space_json.h"
#include "spacelet/base/log.h"

namespace spacelet::agent::api {

Api::Api(ApiContext context) : ctx_(std::move(context)) {
  addRoutes();
}

void Api::addRoutes() {
  using namespace std::placeholders;
  auto bind = [this](Response (Api::*m)(Request&, const Params&)) {
    return [this, m](Request& r, const Params& p) { return (this->*m)(r, p); };
  };
  const std::string space = "/v1/spaces/{author}/{name}";
  router_.add("GET", "/v1/info", bind(&Api::info));
  router_.add("GET", "/v1/events", bind(&Api::events));
  router_.add("GET", "/v1/spaces", bind(&Api::listSpaces));
  router_.add("POST", "/v1/spaces", bind(&Api::createSpace));
  router_.add("GET", space, bind(&Api::getSpace));
  router_.add("DELETE", space, bind(&Api::deleteSpace));
  router_.add("POST", space + "/restart", bind(&Api::restart));
  router_.add("POST", space + "/pause", bind(&Api::pause));
  router_.add("POST", space + "/resume", bind(&Api::resume));
  router_.add("PUT", space + "/hardware", bind(&Api::setHardware));
  router_.add("PUT", space + "/sleeptime", bind(&Api::setSleepTime));
  router_.add("POST", space + "/notify", bind(&Api::notifyPush));
  router_.add("GET", space + "/logs", bind(&Api::logs));
  router_.add("GET", space + "/repository", bind(&Api::repository));
  router_.add("GET", space + "/deployments", bind(&Api::deployments));
  router_.add("POST", space + "/rollback", bind(&Api::rollback));
  router_.add("GET", "/v1/images", bind(&Api::listImages));
  router_.add("DELETE", "/v1/images", bind(&Api::removeImage));
  router_.add("POST", "/v1/images/import", bind(&Api::importImage));
  router_.add("POST", "/v1/images/bootstrap", bind(&Api::bootstrapImages));
  router_.add("POST", "/v1/images/prune", bind(&Api::pruneImages));
  for (bool secret : {true, false}) {
    std::string base = space + (secret ? "/secrets" : "/variables");
    router_.add("GET", base,
                [this, secret](Request&, const Params& p) { return listValues(secret, p); });
    router_.add("GET", base + "/{key}",
                [this, secret](Request&, const Params& p) { return getValue(secret, p); });
    router_.add("PUT", base + "/{key}",
                [this, secret](Request& r, const Params& p) { return putValue(secret, r, p); });
    router_.add("DELETE", base + "/{key}",
                [this, secret](Request& r, const Params& p) { return deleteValue(secret, r, p); });
  }
}

bool Api::authorized(const Peer& peer, std::optional<gid_t> group, uid_t ownUid) {
  if (!peer.known) return false;
  if (peer.uid == 0 || peer.uid == ownUid) return true;
  if (!group) return false;
  return peer.gid == *group ||
         std::find(peer.groups.begin(), peer.groups.end(), *group) != peer.groups.end();
}

Response Api::handle(Request& request) {
  if (!authorized(request.peer, ctx_.group, ctx_.ownUid)) {
    std::string who =
        request.peer.known ? "uid " + std::to_string(request.peer.uid) : "this caller";
    std::string group = ctx_.config()->paths.socketGroup;
    log::info("api: refused " + request.method + " " + request.path + " from " + who);
    return errorResponse(403, "forbidden",
                         who + " may not use the spacelet API: only root and members of group '" +
                             group + "' may; add the user with 'usermod -aG " + group +
                             " USER' and log in again");
  }
  Response response = router_.dispatch(request);
  log::debug("api: " + request.method + " " + request.path + " " + std::to_string(response.status) +
             " uid " + std::to_string(request.peer.uid));
  return response;
}

Response errorFor(const Error& error) {
  switch (error.code) {
    case EINVAL:
      return errorResponse(400, "invalid_request", error.message);
    case ENOENT:
      return errorResponse(404, "not_found", error.message);
    case EEXIST:
      return errorResponse(409, "already_exists", error.message);
    case EBUSY:
      return errorResponse(409, "conflict", error.message);
    case EDQUOT:
      return errorResponse(409, "limit_reached", error.message);
    case ENOSPC:
      return errorResponse(507, "insufficient_storage", error.message);
    default:
      log::error("api: " + error.message);
      return errorResponse(500, "internal", error.message);
  }
}

Result<const store::Space*> Api::findSpace(const Params& params) const {
  store::SpaceId id{params.at("author"), params.at("name")};
  SPACELET_TRY(store::validateNamePart(id.author, "author"));
  SPACELET_TRY(store::validateNamePart(id.name, "name"));
  const store::Space* space = ctx_.registry->find(id);
  if (!space) return fail(Error{ENOENT, "Space '" + id.str() + "' does not exist"});
  return space;
}

Result<void> Api::checkNotDeleting(const store::Space& space) const {
  if (space.stage == store::Stage::kDeleting)
    return fail(Error{EBUSY, "Space '" + space.id.str() + "' is being deleted"});
  return {};
}

Result<void> Api::recordRequest(const store::Space& space, const Request& request,
                                nlohmann::json data) {
  data["by_uid"] = request.peer.uid;
  return ctx_.registry->record(space.id.str(), "space.requested", std::move(data));
}

Response Api::spaceResponse(const store::SpaceId& id, int status) const {
  const store::Space* space = ctx_.registry->find(id);
  if (!space) return errorResponse(404, "not_found", "Space '" + id.str() + "' does not exist");
  Response r;
  r.status = status;
  r.body = store::spaceToJson(*space).dump() + "\n";
  return r;
}

Result<std::optional<bool>> queryBool(const Request& request, const std::string& name) {
  auto value = request.queryValue(name);
  if (!value) return std::optional<bool>();
  if (*value == "1" || *value == "true" || *value == "yes" || value->empty())
    return std::optional<bool>(true);
  if (*value == "0" || *value == "false" || *value == "no") return std::optional<bool>(false);
  return failInvalid("query parameter '" + name + "' must be true or false, not '" + *value + "'");
}

Result<std::optional<int64_t>> queryInteger(const Request& request, const std::string& name,
                                            int64_t min, int64_t max) {
  auto value = request.queryValue(name);
  if (!value) return std::optional<int64_t>();
  int64_t n = 0;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
  if (ec != std::errc() || end != value->data() + value->size() || n < min || n > max) {
    return failInvalid("query parameter '" + name + "' must be a whole number from " +
                       std::to_string(min) + " to " + std::to_string(max) + ", not '" + *value +
                       "'");
  }
  return std::optional<int64_t>(n);
}

}  // namespace spacelet::agent::api
