// Typed access to JSON values that turns every mismatch into an Error naming the field by
// its JSON path ("process.user.uid: expected an unsigned 32-bit integer, got '-1'").
// Used by config.json parsing and by the state file; never throws.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "spacelet/base/error.h"

namespace spacelet::sandbox::spec {

using Json = nlohmann::json;

// "process" + "user" -> "process.user"; "mounts" + 2 -> "mounts[2]".
std::string fieldPath(const std::string& parent, std::string_view key);
std::string indexPath(const std::string& parent, size_t index);

// The member `key` of object `obj`, or nullptr when it is absent or null.
const Json* member(const Json& obj, std::string_view key);

// Fails unless `value` is an object (an array for requireArray).
Result<void> requireObject(const Json& value, const std::string& path);
Result<void> requireArray(const Json& value, const std::string& path);

Result<std::string> asString(const Json& value, const std::string& path);
Result<bool> asBool(const Json& value, const std::string& path);
Result<int64_t> asInt64(const Json& value, const std::string& path);
Result<uint64_t> asUint64(const Json& value, const std::string& path);
Result<uint32_t> asUint32(const Json& value, const std::string& path);
Result<std::vector<std::string>> asStringArray(const Json& value, const std::string& path);
Result<std::map<std::string, std::string>> asStringMap(const Json& value, const std::string& path);

// Sets `out` from obj[key] through `convert` when the member is present; leaves it alone
// otherwise. `convert` is one of the as*() functions or a parser with the same shape.
template <typename T, typename Convert>
Result<void> readField(const Json& obj, std::string_view key, const std::string& path,
                       Convert convert, T& out) {
  const Json* value = member(obj, key);
  if (value == nullptr) return {};
  auto converted = convert(*value, fieldPath(path, key));
  if (!converted) return fail(std::move(converted).error());
  out = std::move(*converted);
  return {};
}

// Parses text; a syntax error names the byte offset.
Result<Json> parseJson(std::string_view text, std::string_view what);

}  // namespace spacelet::sandbox::spec
