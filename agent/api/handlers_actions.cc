// Actions on one Space: restart (factory), pause, resume, hardware, sleep time, and the push
// notification from its repository's hook (see docs/api.md). Each checks the request, records
// it, and hands it to the SpaceLifecycle.
#include "agent/api/api.h"
#include "agent/api/json_body.h"

namespace spacelet::agent::api {
namespace {

bool isHex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

Response Api::restart(Request& request, const Params& params) {
  auto space = findSpace(params);
  if (!space) return errorFor(space.error());
  if (auto ok = checkNotDeleting(**space); !ok) return errorFor(ok.error());
  auto body = JsonBody::parse(request.body, /*allowEmpty=*/true);
  if (!body) return errorFor(body.error());
  auto fromBody = body->optionalBool("factory");
  if (!fromBody) return errorFor(fromBody.error());
  if (auto ok = body->finish(); !ok) return errorFor(ok.error());
  auto fromQuery = queryBool(request, "factory");
  if (!fromQuery) return errorFor(fromQuery.error());
  bool factory = fromBody->value_or(fromQuery->value_or(false));
  store::SpaceId id = (*space)->id;
  if (auto ok = recordRequest(**space, request, {{"action", "restart"}, {"factory", factory}}); !ok)
    return errorFor(ok.error());
  if (auto ok = ctx_.lifecycle->restart(id, factory); !ok) return errorFor(ok.error());
  return spaceResponse(id);
}

Response Api::pause(Request& request, const Params& params) {
  auto space = findSpace(params);
  if (!space) return errorFor(space.error());
  if (auto ok = checkNotDeleting(**space); !ok) return errorFor(ok.error());
  store::SpaceId id = (*space)->id;
  if ((*space)->stage == store::Stage::kPaused) return spaceResponse(id);  // already
  if (auto ok = recordRequest(**space, request, {{"action", "pause"}}); !ok)
    return errorFor(ok.error());
  if (auto ok = ctx_.lifecycle->pause(id); !ok) return errorFor(ok.error());
  return spaceResponse(id);
}

Response Api::resume(Request& request, const Params& params) {
  auto space = findSpace(params);
  if (!space) return errorFor(space.error());
  store::SpaceId id = (*space)->id;
  if ((*space)->stage != store::Stage::kPaused) {
    return errorFor(Error{EBUSY, "Space '" + id.str() + "' is not paused (stage " +
                                     std::string(store::stageName((*space)->stage)) + ")"});
  }
  if (auto ok = recordRequest(**space, request, {{"action", "resume"}}); !ok)
    return errorFor(ok.error());
  if (auto ok = ctx_.lifecycle->resume(id); !ok) return errorFor(ok.error());
  return spaceResponse(id);
}

Response Api::setHardware(Request& request, const Params& params) {
  auto space = findSpace(params);
  if (!space) return errorFor(space.error());
  if (auto ok = checkNotDeleting(**space); !ok) return errorFor(ok.error());
  auto body = JsonBody::parse(request.body);
  if (!body) return errorFor(body.error());
  auto flavor = body->requiredString("flavor");
  if (!flavor) return errorFor(flavor.error());
  if (auto ok = body->finish(); !ok) return errorFor(ok.error());
  if (!ctx_.config()->flavors.contains(*flavor)) {
    return errorFor(Error::invalid("field 'flavor': '" + *flavor +
                                   "' is not a flavor of this node; GET /v1/info lists them"));
  }
  store::SpaceId id = (*space)->id;
  auto updated = ctx_.registry->update(id, [&](store::Space& s) { s.hardwareRequested = *flavor; });
  if (!updated) return errorFor(updated.error());
  if (auto ok = ctx_.lifecycle->hardwareChanged(id); !ok) return errorFor(ok.error());
  return spaceResponse(id);
}

Response Api::setSleepTime(Request& request, const Params& params) {
  auto space = findSpace(params);
  if (!space) return errorFor(space.error());
  if (auto ok = checkNotDeleting(**space); !ok) return errorFor(ok.error());
  auto body = JsonBody::parse(request.body);
  if (!body) return errorFor(body.error());
  auto seconds = body->optionalInteger("seconds");
  if (!seconds) return errorFor(seconds.error());
  if (auto ok = body->finish(); !ok) return errorFor(ok.error());
  if (!*seconds) return errorFor(Error::invalid("field 'seconds' is required"));
  if (auto ok = store::validateSleepTime(**seconds); !ok)
    return errorFor(ok.error().withContext("field 'seconds'"));
  store::SpaceId id = (*space)->id;
  auto updated = ctx_.registry->update(id, [&](store::Space& s) { s.sleepSeconds = **seconds; });
  if (!updated) return errorFor(updated.error());
  if (auto ok = ctx_.lifecycle->sleepTimeChanged(id); !ok) return errorFor(ok.error());
  return spaceResponse(id);
}

Response Api::notifyPush(Request& request, const Params& params) {
  auto space = findSpace(params);
  if (!space) return errorFor(space.error());
  if (auto ok = checkNotDeleting(**space); !ok) return errorFor(ok.error());
  auto body = JsonBody::parse(request.body, /*allowEmpty=*/true);
  if (!body) return errorFor(body.error());
  auto ref = body->optionalString("ref");
  if (!ref) return errorFor(ref.error());
  auto sha = body->optionalString("sha");
  if (!sha) return errorFor(sha.error());
  if (auto ok = body->finish(); !ok) return errorFor(ok.error());
  PushNotice notice{ref->value_or(""), sha->value_or("")};
  if (!notice.sha.empty() &&
      (notice.sha.size() < 7 || notice.sha.size() > 64 || !isHex(notice.sha)))
    return errorFor(
        Error::invalid("field 'sha': '" + notice.sha + "' is not a lowercase hex commit id"));
  bool refOk =
      notice.ref.empty() || (notice.ref.starts_with("refs/") && notice.ref.size() <= 256 &&
                             notice.ref.find_first_of(" \t\n\r~^:?*[\\") == std::string::npos);
  if (!refOk)
    return errorFor(Error::invalid("field 'ref': '" + notice.ref +
                                   "' is not a git ref like 'refs/heads/main'"));
  store::SpaceId id = (*space)->id;
  if (auto ok = recordRequest(**space, request,
                              {{"action", "push"}, {"ref", notice.ref}, {"sha", notice.sha}});
      !ok)
    return errorFor(ok.error());
  if (auto ok = ctx_.lifecycle->pushed(id, notice); !ok) return errorFor(ok.error());
  return spaceResponse(id, 202);
}

}  // namespace spacelet::agent::api
