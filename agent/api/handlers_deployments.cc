// A Space's repository and deployments (issue 6, see docs/api.md): where to push, the
// deployment history, and rolling back to an earlier build without rebuilding. Each asks the
// SpaceLifecycle, which owns repositories and deployments.
#include "agent/api/api.h"
#include "agent/api/json_body.h"

namespace spacelet::agent::api {
namespace {

Response jsonResponse(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return r;
}

}  // namespace

Response Api::repository(Request&, const Params& params) {
  auto space = findSpace(params);
  if (!space) return errorFor(space.error());
  auto repo = ctx_.lifecycle->repository((*space)->id);
  if (!repo) return errorFor(repo.error());
  return jsonResponse(200, *repo);
}

Response Api::deployments(Request&, const Params& params) {
  auto space = findSpace(params);
  if (!space) return errorFor(space.error());
  auto list = ctx_.lifecycle->deployments((*space)->id);
  if (!list) return errorFor(list.error());
  return jsonResponse(200, *list);
}

Response Api::rollback(Request& request, const Params& params) {
  auto space = findSpace(params);
  if (!space) return errorFor(space.error());
  if (auto ok = checkNotDeleting(**space); !ok) return errorFor(ok.error());
  auto body = JsonBody::parse(request.body);
  if (!body) return errorFor(body.error());
  auto sha = body->requiredString("sha");
  if (!sha) return errorFor(sha.error());
  if (auto ok = body->finish(); !ok) return errorFor(ok.error());
  if (sha->size() < 7 || sha->size() > 40 ||
      sha->find_first_not_of("0123456789abcdef") != std::string::npos) {
    return errorFor(Error::invalid("field 'sha': '" + *sha +
                                   "' is not a commit id (7 to 40 lowercase hex digits)"));
  }
  store::SpaceId id = (*space)->id;
  if (auto ok = recordRequest(**space, request, {{"action", "rollback"}, {"sha", *sha}}); !ok)
    return errorFor(ok.error());
  auto target = ctx_.lifecycle->rollback(id, *sha);
  if (!target) return errorFor(target.error());
  return jsonResponse(202, *target);
}

}  // namespace spacelet::agent::api
