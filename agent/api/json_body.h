// Strict reading of JSON request bodies: the body must be an object, each field is taken with
// its expected type, and anything left over is an unknown field. Every error names the field
// ("field 'sleep_time' must be an integer, not a string") so callers see what to fix.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "spacelet/base/error.h"

namespace spacelet::agent::api {

class JsonBody {
 public:
  // An empty body is an empty object when allowEmpty (for actions whose body is optional).
  static Result<JsonBody> parse(std::string_view text, bool allowEmpty = false);

  Result<std::optional<std::string>> optionalString(const std::string& field);
  Result<std::string> requiredString(const std::string& field);
  Result<std::optional<int64_t>> optionalInteger(const std::string& field);
  Result<std::optional<bool>> optionalBool(const std::string& field);
  // {"KEY": "value"} or {"KEY": {"value": "...", "description": "..."}}.
  struct Entry {
    std::string value;
    std::string description;
  };
  Result<std::map<std::string, Entry>> optionalEntries(const std::string& field);
  // Fails naming the first field that no call above asked for.
  Result<void> finish() const;

 private:
  explicit JsonBody(nlohmann::json object) : object_(std::move(object)) {}
  const nlohmann::json* take(const std::string& field);

  nlohmann::json object_;
  std::set<std::string> taken_;
};

// The JSON type name used in messages: "a string", "an integer", "null", ...
std::string jsonTypeName(const nlohmann::json& value);

}  // namespace spacelet::agent::api
