// The registry's secrets and variables (see space_registry.h). Secret values are sealed before
// they are stored and appear in no event; events carry the key name only.
#include "agent/store/space_registry.h"

namespace spacelet::agent::store {
Result<void> SpaceRegistry::putSecret(const SpaceId& id, const std::string& key,
                                      const ValueWithDescription& v) {
  if (!find(id)) return fail(Error{ENOENT, "Space '" + id.str() + "' does not exist"});
  auto tx = store_.begin();
  if (!tx) return fail(std::move(tx).error());
  SPACELET_TRY(putSealed(id, key, v, options_.clock()));
  auto event = storeEvent(id.str(), "space.secret.set", {{"key", key}});
  if (!event) return fail(std::move(event).error());
  SPACELET_TRY(tx->commit());
  published(*event);
  return {};
}

Result<bool> SpaceRegistry::deleteSecret(const SpaceId& id, const std::string& key) {
  if (!find(id)) return fail(Error{ENOENT, "Space '" + id.str() + "' does not exist"});
  auto tx = store_.begin();
  if (!tx) return fail(std::move(tx).error());
  auto deleted = store_.deleteSecret(id, key);
  if (!deleted || !*deleted) return deleted;
  auto event = storeEvent(id.str(), "space.secret.deleted", {{"key", key}});
  if (!event) return fail(std::move(event).error());
  SPACELET_TRY(tx->commit());
  published(*event);
  return true;
}

Result<std::vector<SecretInfo>> SpaceRegistry::listSecrets(const SpaceId& id) {
  if (!find(id)) return fail(Error{ENOENT, "Space '" + id.str() + "' does not exist"});
  auto rows = store_.secrets(id);
  if (!rows) return fail(std::move(rows).error());
  std::vector<SecretInfo> out;
  for (auto& row : *rows)
    out.push_back({std::move(row.key), std::move(row.description), row.updatedAtMs});
  return out;
}

Result<std::map<std::string, std::string>> SpaceRegistry::secretValues(const SpaceId& id) {
  if (!find(id)) return fail(Error{ENOENT, "Space '" + id.str() + "' does not exist"});
  auto rows = store_.secrets(id);
  if (!rows) return fail(std::move(rows).error());
  std::map<std::string, std::string> out;
  for (const auto& row : *rows) {
    auto value = options_.box->open(row.sealed, secretAad(id, row.key));
    if (!value)
      return fail(
          std::move(value).error().withContext("secret '" + row.key + "' of '" + id.str() + "'"));
    out.emplace(row.key, std::move(*value));
  }
  return out;
}

Result<void> SpaceRegistry::putVariable(const SpaceId& id, const std::string& key,
                                        const ValueWithDescription& v) {
  if (!find(id)) return fail(Error{ENOENT, "Space '" + id.str() + "' does not exist"});
  auto tx = store_.begin();
  if (!tx) return fail(std::move(tx).error());
  SPACELET_TRY(store_.putVariable(id, VariableRow{key, v.value, v.description, options_.clock()}));
  auto event = storeEvent(id.str(), "space.variable.set", {{"key", key}});
  if (!event) return fail(std::move(event).error());
  SPACELET_TRY(tx->commit());
  published(*event);
  return {};
}

Result<bool> SpaceRegistry::deleteVariable(const SpaceId& id, const std::string& key) {
  if (!find(id)) return fail(Error{ENOENT, "Space '" + id.str() + "' does not exist"});
  auto tx = store_.begin();
  if (!tx) return fail(std::move(tx).error());
  auto deleted = store_.deleteVariable(id, key);
  if (!deleted || !*deleted) return deleted;
  auto event = storeEvent(id.str(), "space.variable.deleted", {{"key", key}});
  if (!event) return fail(std::move(event).error());
  SPACELET_TRY(tx->commit());
  published(*event);
  return true;
}

Result<std::vector<VariableRow>> SpaceRegistry::listVariables(const SpaceId& id) {
  if (!find(id)) return fail(Error{ENOENT, "Space '" + id.str() + "' does not exist"});
  return store_.variables(id);
}

}  // namespace spacelet::agent::store
