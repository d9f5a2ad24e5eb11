// A Space's secrets and variables: list, get, put, delete (see docs/api.md). Secret values
// are write-only: no response, event or log line ever carries one.
#include <algorithm>

#include "agent/api/api.h"
#include "agent/api/json_body.h"
#include "agent/config/units.h"
#include "agent/store/clock.h"

namespace spacelet::agent::api {
namespace {

const char* noun(bool secret) {
  return secret ? "secret" : "variable";
}

Response json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return r;
}

nlohmann::json entryJson(const std::string& key, const std::string& description,
                         int64_t updatedAtMs) {
  return {{"key", key},
          {"description", description},
          {"updated_at", store::formatTimestamp(updatedAtMs)}};
}

// The entries of a Space as JSON objects: secrets without values, variables with them.
Result<std::vector<nlohmann::json>> entries(store::SpaceRegistry& registry, bool secret,
                                            const store::SpaceId& id) {
  std::vector<nlohmann::json> out;
  if (secret) {
    auto list = registry.listSecrets(id);
    if (!list) return fail(std::move(list).error());
    for (const auto& s : *list) out.push_back(entryJson(s.key, s.description, s.updatedAtMs));
    return out;
  }
  auto list = registry.listVariables(id);
  if (!list) return fail(std::move(list).error());
  for (const auto& v : *list) {
    nlohmann::json j = entryJson(v.key, v.description, v.updatedAtMs);
    j["value"] = v.value;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

Result<void> Api::validateValue(const std::string& key, const std::string& value,
                                const std::string& description) const {
  SPACELET_TRY(store::validateEnvKey(key));
  auto config = ctx_.config();
  if (value.size() > config->limits.maxValueBytes) {
    return failInvalid("the value of '" + key + "' is larger than " +
                       config::formatBytes(config->limits.maxValueBytes) +
                       " (limits.max_value_bytes)");
  }
  if (value.find('\0') != std::string::npos)
    return failInvalid("the value of '" + key +
                       "' contains a NUL byte, which an environment variable cannot hold");
  if (description.size() > config->limits.maxDescriptionBytes) {
    return failInvalid("the description of '" + key + "' is larger than " +
                       config::formatBytes(config->limits.maxDescriptionBytes) +
                       " (limits.max_description_bytes)");
  }
  return {};
}

Response Api::listValues(bool secret, const Params& params) {
  auto space = findSpace(params);
  if (!space) return errorFor(space.error());
  auto list = entries(*ctx_.registry, secret, (*space)->id);
  if (!list) return errorFor(list.error());
  return json(200, {{secret ? "secrets" : "variables", *list}});
}

Response Api::getValue(bool secret, const Params& params) {
  auto space = findSpace(params);
  if (!space) return errorFor(space.error());
  const std::string& key = params.at("key");
  if (auto ok = store::validateEnvKey(key); !ok) return errorFor(ok.error());
  auto list = entries(*ctx_.registry, secret, (*space)->id);
  if (!list) return errorFor(list.error());
  for (const auto& entry : *list)
    if (entry["key"] == key) return json(200, entry);
  return errorFor(Error{ENOENT, std::string("Space '") + (*space)->id.str() + "' has no " +
                                    noun(secret) + " '" + key + "'"});
}

Response Api::putValue(bool secret, Request& request, const Params& params) {
  auto space = findSpace(params);
  if (!space) return errorFor(space.error());
  if (auto ok = checkNotDeleting(**space); !ok) return errorFor(ok.error());
  const std::string& key = params.at("key");
  auto body = JsonBody::parse(request.body);
  if (!body) return errorFor(body.error());
  auto value = body->requiredString("value");
  if (!value) return errorFor(value.error());
  auto description = body->optionalString("description");
  if (!description) return errorFor(description.error());
  if (auto ok = body->finish(); !ok) return errorFor(ok.error());
  if (auto ok = validateValue(key, *value, description->value_or("")); !ok)
    return errorFor(ok.error());
  store::SpaceId id = (*space)->id;
  auto existing = entries(*ctx_.registry, secret, id);
  if (!existing) return errorFor(existing.error());
  bool present = std::any_of(existing->begin(), existing->end(),
                             [&](const auto& e) { return e["key"] == key; });
  auto config = ctx_.config();
  size_t limit = secret ? config->limits.maxSecretsPerSpace : config->limits.maxVariablesPerSpace;
  if (!present && existing->size() >= limit) {
    return errorFor(Error{EDQUOT, "Space '" + id.str() + "' already has " + std::to_string(limit) +
                                      " " + noun(secret) + "s (limits.max_" + noun(secret) +
                                      "s_per_space)"});
  }
  store::ValueWithDescription v{std::move(*value), description->value_or("")};
  auto stored =
      secret ? ctx_.registry->putSecret(id, key, v) : ctx_.registry->putVariable(id, key, v);
  if (!stored) return errorFor(stored.error());
  ConfigChange change{secret ? ConfigChange::Kind::kSecret : ConfigChange::Kind::kVariable, key,
                      false};
  if (auto ok = ctx_.lifecycle->configChanged(id, change); !ok) return errorFor(ok.error());
  return getValue(secret, params);
}

Response Api::deleteValue(bool secret, Request&, const Params& params) {
  auto space = findSpace(params);
  if (!space) return errorFor(space.error());
  if (auto ok = checkNotDeleting(**space); !ok) return errorFor(ok.error());
  const std::string& key = params.at("key");
  if (auto ok = store::validateEnvKey(key); !ok) return errorFor(ok.error());
  store::SpaceId id = (*space)->id;
  auto deleted =
      secret ? ctx_.registry->deleteSecret(id, key) : ctx_.registry->deleteVariable(id, key);
  if (!deleted) return errorFor(deleted.error());
  if (!*deleted)
    return errorFor(
        Error{ENOENT, "Space '" + id.str() + "' has no " + noun(secret) + " '" + key + "'"});
  ConfigChange change{secret ? ConfigChange::Kind::kSecret : ConfigChange::Kind::kVariable, key,
                      true};
  if (auto ok = ctx_.lifecycle->configChanged(id, change); !ok) return errorFor(ok.error());
  return json(200, {{"key", key}, {"deleted", true}});
}

}  // namespace spacelet::agent::api
