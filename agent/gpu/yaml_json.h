// YAML → nlohmann::json, so CDI specs written as YAML (nvidia-ctk's default) go through the
// same JSON parser as JSON ones. Quoted scalars stay strings (name: "0" is the string "0");
// plain scalars become null, booleans, integers or floats by YAML 1.2 core rules.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "spacelet/base/error.h"

namespace spacelet::agent::gpu {

// Parses one YAML document. Syntax errors name the line and column. Pure; thread-safe.
Result<nlohmann::json> yamlToJson(const std::string& text);

}  // namespace spacelet::agent::gpu
