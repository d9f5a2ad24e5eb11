// Typed JSON field access with JSON-path errors (see json_fields.h).
#include "sandbox/spec/json_fields.h"

#include <limits>

namespace spacelet::sandbox::spec {
namespace {

// A short rendering of the offending value for messages.
std::string shown(const Json& value) {
  std::string text = value.dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

Unexpected mismatch(const std::string& path, std::string_view expected, const Json& value) {
  return failInvalid(path + ": expected " + std::string(expected) + ", got '" + shown(value) + "'");
}

}  // namespace

std::string fieldPath(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}

std::string indexPath(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

const Json* member(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<void> requireObject(const Json& value, const std::string& path) {
  if (!value.is_object()) return mismatch(path.empty() ? "config" : path, "an object", value);
  return {};
}

Result<void> requireArray(const Json& value, const std::string& path) {
  if (!value.is_array()) return mismatch(path, "an array", value);
  return {};
}

Result<std::string> asString(const Json& value, const std::string& path) {
  if (!value.is_string()) return mismatch(path, "a string", value);
  return value.get<std::string>();
}

Result<bool> asBool(const Json& value, const std::string& path) {
  if (!value.is_boolean()) return mismatch(path, "true or false", value);
  return value.get<bool>();
}

Result<int64_t> asInt64(const Json& value, const std::string& path) {
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() &&
        value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return mismatch(path, "a 64-bit integer", value);
    }
    return value.get<int64_t>();
  }
  return mismatch(path, "an integer", value);
}

Result<uint64_t> asUint64(const Json& value, const std::string& path) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  return mismatch(path, "an unsigned integer", value);
}

Result<uint32_t> asUint32(const Json& value, const std::string& path) {
  if (value.is_number_unsigned() && value.get<uint64_t>() <= std::numeric_limits<uint32_t>::max()) {
    return static_cast<uint32_t>(value.get<uint64_t>());
  }
  return mismatch(path, "an unsigned 32-bit integer", value);
}

Result<std::vector<std::string>> asStringArray(const Json& value, const std::string& path) {
  SPACELET_TRY(requireArray(value, path));
  std::vector<std::string> out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    auto item = asString(value[i], indexPath(path, i));
    if (!item) return fail(std::move(item).error());
    out.push_back(std::move(*item));
  }
  return out;
}

Result<std::map<std::string, std::string>> asStringMap(const Json& value, const std::string& path) {
  SPACELET_TRY(requireObject(value, path));
  std::map<std::string, std::string> out;
  for (const auto& [key, item] : value.items()) {
    auto text = asString(item, fieldPath(path, key));
    if (!text) return fail(std::move(text).error());
    out.emplace(key, std::move(*text));
  }
  return out;
}

Result<Json> parseJson(std::string_view text, std::string_view what) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    return failInvalid(std::string(what) + " is not valid JSON (byte " + std::to_string(e.byte) +
                       "): fix the syntax");
  }
}

}  // namespace spacelet::sandbox::spec
