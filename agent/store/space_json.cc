// JSON view of a Space and the change list of an update (see space_json.h).
#include "agent/store/space_json.h"

#include "agent/store/clock.h"

namespace spacelet::agent::store {
namespace {

nlohmann::json orNull(const std::string& s) {
  return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

void diffObjects(const nlohmann::json& a, const nlohmann::json& b, const std::string& prefix,
                 nlohmann::json& out) {
  for (const auto& [key, value] : b.items()) {
    if (key == "created_at" || key == "updated_at" || key == "stage_changed_at") continue;
    const nlohmann::json& old = a.contains(key) ? a.at(key) : nlohmann::json(nullptr);
    if (value.is_object() && old.is_object()) {
      diffObjects(old, value, prefix + key + ".", out);
    } else if (old != value) {
      out[prefix + key] = {{"from", old}, {"to", value}};
    }
  }
}

}  // namespace

nlohmann::json spaceToJson(const Space& s) {
  return {
      {"id", s.id.str()},
      {"author", s.id.author},
      {"name", s.id.name},
      {"sdk", s.sdk},
      {"source", orNull(s.source)},
      {"stage", stageName(s.stage)},
      {"hardware",
       {{"current", orNull(s.hardwareCurrent)}, {"requested", orNull(s.hardwareRequested)}}},
      {"sleep_time", s.sleepSeconds},
      {"sha", orNull(s.sha)},
      {"error_message", orNull(s.errorMessage)},
      {"address", orNull(s.address)},
      {"restarts", s.restarts},
      {"last_exit", orNull(s.lastExit)},
      {"created_at", formatTimestamp(s.createdAtMs)},
      {"updated_at", formatTimestamp(s.updatedAtMs)},
      {"stage_changed_at", formatTimestamp(s.stageChangedAtMs)},
  };
}

nlohmann::json diffSpaces(const Space& before, const Space& after) {
  nlohmann::json out = nlohmann::json::object();
  diffObjects(spaceToJson(before), spaceToJson(after), "", out);
  return out;
}

}  // namespace spacelet::agent::store
