// The JSON form of a Space's runtime, as GET /v1/spaces/{id} returns it and as events describe
// changes. Field names follow huggingface_hub's SpaceRuntime where one exists (stage, hardware
// current/requested, sleep_time); unset strings are null.
#pragma once

#include <nlohmann/json.hpp>

#include "agent/store/space.h"

namespace spacelet::agent::store {

nlohmann::json spaceToJson(const Space& space);

// {"stage": {"from": "NO_APP_FILE", "to": "PAUSED"}, "hardware.requested": {...}} for every
// field that differs, timestamps excluded. Empty object when nothing changed.
nlohmann::json diffSpaces(const Space& before, const Space& after);

}  // namespace spacelet::agent::store
