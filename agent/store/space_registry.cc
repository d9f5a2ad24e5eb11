// The registry's write paths (see space_registry.h): each one is
//   begin transaction -> rows -> event row -> commit -> in-memory view -> publish.
#include "agent/store/space_registry.h"

#include "agent/store/space_json.h"
#include "agent/store/space_paths.h"

namespace spacelet::agent::store {
namespace {

constexpr const char* kKeyCheckMeta = "node_key_check";
constexpr const char* kKeyIdMeta = "node_key_id";
constexpr std::string_view kKeyCheckPlaintext = "spacelet node key check";
constexpr uint64_t kTrimEvery = 256;

Error notFound(const SpaceId& id) {
  return Error{ENOENT, "Space '" + id.str() + "' does not exist"};
}

}  // namespace

Result<std::unique_ptr<SpaceRegistry>> SpaceRegistry::open(RegistryOptions options) {
  if (!options.box) return failInvalid("registry needs the node key");
  auto store = Store::open(options.stateDir + "/state.db");
  if (!store) return fail(std::move(store).error());
  std::unique_ptr<SpaceRegistry> registry(new SpaceRegistry(std::move(options), std::move(*store)));
  SPACELET_TRY(registry->checkNodeKey());
  SPACELET_TRY(registry->loadSpaces());
  return registry;
}

Result<void> SpaceRegistry::checkNodeKey() {
  const secrets::SecretBox& box = *options_.box;
  auto check = store_.meta(kKeyCheckMeta);
  if (!check) return fail(std::move(check).error());
  if (*check) {
    if (box.open(**check, kKeyCheckMeta)) return {};
    auto storedId = store_.meta(kKeyIdMeta);
    std::string was = storedId && *storedId ? **storedId : "unknown";
    return fail(
        Error{EKEYREJECTED, "the node key from " + box.key().source() + " (key id " +
                                box.key().id() + ") is not the key that sealed the secrets in '" +
                                store_.db().path() + "' (key id " + was +
                                "); restore the original key (paths.node_key or the spacelet.key "
                                "credential), or move the state directory away to start empty"});
  }
  auto sealed = box.seal(kKeyCheckPlaintext, kKeyCheckMeta);
  if (!sealed) return fail(std::move(sealed).error());
  auto tx = store_.begin();
  if (!tx) return fail(std::move(tx).error());
  SPACELET_TRY(store_.putMeta(kKeyCheckMeta, *sealed));
  SPACELET_TRY(store_.putMeta(kKeyIdMeta, box.key().id()));
  return tx->commit();
}

Result<void> SpaceRegistry::loadSpaces() {
  auto loaded = store_.loadSpaces();
  if (!loaded) return fail(std::move(loaded).error());
  for (auto& space : *loaded) {
    SpaceId id = space.id;
    spaces_.emplace(std::move(id), std::move(space));
  }
  return {};
}

const Space* SpaceRegistry::find(const SpaceId& id) const {
  auto it = spaces_.find(id);
  return it == spaces_.end() ? nullptr : &it->second;
}

std::vector<const Space*> SpaceRegistry::list() const {
  std::vector<const Space*> out;
  out.reserve(spaces_.size());
  for (const auto& [id, space] : spaces_) out.push_back(&space);
  return out;
}

Result<Event> SpaceRegistry::storeEvent(const std::string& space, const std::string& type,
                                        nlohmann::json data) {
  Event event{0, options_.clock(), type, space, std::move(data)};
  auto seq = store_.appendEvent(event);
  if (!seq) return fail(std::move(seq).error());
  event.seq = *seq;
  return event;
}

void SpaceRegistry::published(const Event& event) {
  bus_.publish(event);
  if (++eventsSinceTrim_ >= kTrimEvery) {
    eventsSinceTrim_ = 0;
    (void)store_.trimEvents(options_.eventsRetained);  // best effort; retried next time
  }
}

Result<void> SpaceRegistry::putSealed(const SpaceId& id, const std::string& key,
                                      const ValueWithDescription& v, int64_t now) {
  auto sealed = options_.box->seal(v.value, secretAad(id, key));
  if (!sealed) return fail(std::move(sealed).error());
  return store_.putSecret(id, SecretRow{key, *sealed, v.description, now});
}

std::string SpaceRegistry::secretAad(const SpaceId& id, const std::string& key) {
  return "spacelet secret v1\n" + id.str() + "\n" + key;
}

Result<Event> SpaceRegistry::insertNew(const Space& space, const NewSpace& r) {
  auto tx = store_.begin();
  if (!tx) return fail(std::move(tx).error());
  SPACELET_TRY(store_.insertSpace(space));
  for (const auto& [key, v] : r.secrets) SPACELET_TRY(putSealed(r.id, key, v, space.createdAtMs));
  for (const auto& [key, v] : r.variables) {
    SPACELET_TRY(
        store_.putVariable(r.id, VariableRow{key, v.value, v.description, space.createdAtMs}));
  }
  auto event = storeEvent(r.id.str(), "space.created", spaceToJson(space));
  if (!event) return fail(std::move(event).error());
  SPACELET_TRY(tx->commit());
  return event;
}

Result<const Space*> SpaceRegistry::create(const NewSpace& r) {
  if (spaces_.contains(r.id))
    return fail(Error{EEXIST, "Space '" + r.id.str() + "' already exists"});
  int64_t now = options_.clock();
  Space space{r.id,         r.sdk,      r.source, Stage::kNoAppFile,
              std::nullopt, r.hardware, "",       r.sleepSeconds,
              "",           "",         "",       0,
              "",           now,        now,      now};
  SPACELET_TRY(createSpaceDirs(options_.stateDir, r.id));
  auto event = insertNew(space, r);
  if (!event) {
    (void)removeSpaceDirs(options_.stateDir, r.id);
    return fail(std::move(event).error());
  }
  auto [it, inserted] = spaces_.emplace(r.id, std::move(space));
  published(*event);
  return &it->second;
}

Result<const Space*> SpaceRegistry::update(const SpaceId& id,
                                           const std::function<void(Space&)>& change) {
  auto it = spaces_.find(id);
  if (it == spaces_.end()) return fail(notFound(id));
  Space next = it->second;
  change(next);
  next.id = id;  // the id is the key; a change may not move the Space
  if (next == it->second) return &it->second;
  int64_t now = options_.clock();
  next.updatedAtMs = now;
  if (next.stage != it->second.stage) next.stageChangedAtMs = now;
  auto tx = store_.begin();
  if (!tx) return fail(std::move(tx).error());
  SPACELET_TRY(store_.updateSpace(next));
  nlohmann::json data = {{"changes", diffSpaces(it->second, next)},
                         {"stage", stageName(next.stage)}};
  auto event = storeEvent(id.str(), "space.changed", std::move(data));
  if (!event) return fail(std::move(event).error());
  SPACELET_TRY(tx->commit());
  it->second = std::move(next);
  published(*event);
  return &it->second;
}

Result<void> SpaceRegistry::erase(const SpaceId& id) {
  if (!spaces_.contains(id)) return fail(notFound(id));
  auto tx = store_.begin();
  if (!tx) return fail(std::move(tx).error());
  SPACELET_TRY(store_.deleteSpace(id));
  auto event = storeEvent(id.str(), "space.deleted", nlohmann::json::object());
  if (!event) return fail(std::move(event).error());
  SPACELET_TRY(tx->commit());
  spaces_.erase(id);
  // The rows are gone; a directory that cannot be removed is reported but does not undo that.
  auto removed = removeSpaceDirs(options_.stateDir, id);
  published(*event);
  return removed;
}

Result<void> SpaceRegistry::record(const std::string& space, const std::string& type,
                                   nlohmann::json data) {
  auto tx = store_.begin();
  if (!tx) return fail(std::move(tx).error());
  auto event = storeEvent(space, type, std::move(data));
  if (!event) return fail(std::move(event).error());
  SPACELET_TRY(tx->commit());
  published(*event);
  return {};
}

}  // namespace spacelet::agent::store
