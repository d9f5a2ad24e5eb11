// GET /v1/info, and the Space collection: list, create, get, delete (see docs/api.md).
#include "agent/api/api.h"
#include "agent/api/json_body.h"
#include "agent/store/space_json.h"

namespace spacelet::agent::api {
namespace {

nlohmann::json flavorJson(const std::string& name, const config::Flavor& f) {
  nlohmann::json j = {{"name", name},          {"description", f.description},
                      {"cpus", f.cpus},        {"memory", f.memoryBytes},
                      {"pids_max", f.pidsMax}, {"gpus", f.gpus}};
  if (f.gpus > 0) {
    j["gpu_kind"] = f.gpuKind;
    j["gpu_model"] = f.gpuModel;
    j["gpu_memory"] = f.gpuMemoryBytes;
  }
  return j;
}

Response json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return r;
}

}  // namespace

Response Api::info(Request&, const Params&) {
  auto config = ctx_.config();
  nlohmann::json flavors = nlohmann::json::array();
  for (const auto& [name, f] : config->flavors) flavors.push_back(flavorJson(name, f));
  return json(200,
              {{"version", ctx_.node.version},
               {"api", "v1"},
               {"hostname", ctx_.node.hostname},
               {"cgroup", {{"mode", ctx_.node.cgroupMode}, {"driver", config->cgroups.driver}}},
               {"capacity",
                {{"cpus", ctx_.node.cpus},
                 {"memory", ctx_.node.memoryBytes},
                 {"spaces", ctx_.registry->size()},
                 {"max_spaces", config->limits.maxSpaces}}},
               {"flavors", flavors},
               {"default_hardware", config->spaces.defaultHardware},
               {"gpus", ctx_.gpus ? ctx_.gpus() : nlohmann::json::array()}});
}

Response Api::listSpaces(Request& request, const Params&) {
  auto author = request.queryValue("author");
  if (author) {
    if (auto ok = store::validateNamePart(*author, "author"); !ok) return errorFor(ok.error());
  }
  nlohmann::json spaces = nlohmann::json::array();
  for (const store::Space* s : ctx_.registry->list()) {
    if (author && s->id.author != *author) continue;
    spaces.push_back(store::spaceToJson(*s));
  }
  return json(200, {{"spaces", std::move(spaces)}});
}

Response Api::getSpace(Request&, const Params& params) {
  auto space = findSpace(params);
  if (!space) return errorFor(space.error());
  Response r;
  r.body = store::spaceToJson(**space).dump() + "\n";
  return r;
}

// Reads POST /v1/spaces' body, applying the node's defaults for what is left out.
static Result<store::NewSpace> readNewSpace(const std::string& text, const config::Config& config) {
  auto body = JsonBody::parse(text);
  if (!body) return fail(std::move(body).error());
  auto idText = body->requiredString("id");
  if (!idText) return fail(idText.error());
  auto sdk = body->optionalString("sdk");
  if (!sdk) return fail(sdk.error());
  auto hardware = body->optionalString("hardware");
  if (!hardware) return fail(hardware.error());
  auto sleep = body->optionalInteger("sleep_time");
  if (!sleep) return fail(sleep.error());
  auto source = body->optionalString("source");
  if (!source) return fail(source.error());
  auto secrets = body->optionalEntries("secrets");
  if (!secrets) return fail(secrets.error());
  auto variables = body->optionalEntries("variables");
  if (!variables) return fail(variables.error());
  SPACELET_TRY(body->finish());
  auto id = store::parseSpaceId(*idText);
  if (!id) return fail(std::move(id).error().withContext("field 'id'"));
  store::NewSpace n{*id,
                    sdk->value_or(config.spaces.defaultSdk),
                    source->value_or(""),
                    hardware->value_or(config.spaces.defaultHardware),
                    sleep->value_or(config.spaces.defaultSleepSeconds),
                    {},
                    {}};
  for (const auto& [k, v] : *secrets) n.secrets[k] = {v.value, v.description};
  for (const auto& [k, v] : *variables) n.variables[k] = {v.value, v.description};
  return n;
}

Result<void> Api::validateNewSpace(const store::NewSpace& n, const config::Config& config) const {
  SPACELET_TRY_CONTEXT(store::validateSdk(n.sdk), "field 'sdk'");
  if (!config.flavors.contains(n.hardware)) {
    return failInvalid("field 'hardware': '" + n.hardware +
                       "' is not a flavor of this node; GET /v1/info lists them");
  }
  SPACELET_TRY_CONTEXT(store::validateSleepTime(n.sleepSeconds), "field 'sleep_time'");
  if (!n.source.empty()) SPACELET_TRY_CONTEXT(store::validateSourceUrl(n.source), "field 'source'");
  if (n.secrets.size() > config.limits.maxSecretsPerSpace)
    return fail(Error{EDQUOT, "more secrets than limits.max_secrets_per_space allows"});
  if (n.variables.size() > config.limits.maxVariablesPerSpace)
    return fail(Error{EDQUOT, "more variables than limits.max_variables_per_space allows"});
  for (const auto& [k, v] : n.secrets)
    SPACELET_TRY_CONTEXT(validateValue(k, v.value, v.description), "field 'secrets'");
  for (const auto& [k, v] : n.variables)
    SPACELET_TRY_CONTEXT(validateValue(k, v.value, v.description), "field 'variables'");
  if (ctx_.registry->size() >= config.limits.maxSpaces) {
    return fail(Error{EDQUOT, "this node has its maximum of " +
                                  std::to_string(config.limits.maxSpaces) +
                                  " Spaces (limits.max_spaces); delete one or raise the limit"});
  }
  return {};
}

Response Api::createSpace(Request& request, const Params&) {
  auto config = ctx_.config();
  auto parsed = readNewSpace(request.body, *config);
  if (!parsed) return errorFor(parsed.error());
  if (auto ok = validateNewSpace(*parsed, *config); !ok) return errorFor(ok.error());
  auto created = ctx_.registry->create(*parsed);
  if (!created) return errorFor(created.error());
  if (auto ok = ctx_.lifecycle->created(parsed->id); !ok) {
    (void)ctx_.registry->erase(parsed->id);  // all or nothing
    return errorFor(ok.error());
  }
  Response r = spaceResponse(parsed->id, 201);
  r.headers.emplace_back("Location", "/v1/spaces/" + parsed->id.str());
  return r;
}

Response Api::deleteSpace(Request& request, const Params& params) {
  auto found = findSpace(params);
  if (!found) return errorFor(found.error());
  store::SpaceId id = (*found)->id;
  if ((*found)->stage == store::Stage::kDeleting) return spaceResponse(id, 202);
  store::Stage before = (*found)->stage;
  if (auto ok = recordRequest(**found, request, {{"action", "delete"}}); !ok)
    return errorFor(ok.error());
  auto marked =
      ctx_.registry->update(id, [](store::Space& s) { s.stage = store::Stage::kDeleting; });
  if (!marked) return errorFor(marked.error());
  store::SpaceRegistry* registry = ctx_.registry;
  ctx_.lifecycle->remove(id, [registry, id, before](Result<void> result) {
    if (result) {
      (void)registry->erase(id);
      return;
    }
    // Deleting failed: the Space stays, in its previous stage, saying why.
    (void)registry->update(id, [&](store::Space& s) {
      s.stage = before;
      s.errorMessage = "delete failed: " + result.error().message;
    });
  });
  if (ctx_.registry->find(id)) return spaceResponse(id, 202);
  return json(200, {{"id", id.str()}, {"deleted", true}});
}

}  // namespace spacelet::agent::api
