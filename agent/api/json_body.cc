// Strict JSON body reading (see json_body.h).
#include "agent/api/json_body.h"

namespace spacelet::agent::api {
namespace {

Unexpected wrongType(const std::string& field, const char* expected, const nlohmann::json& got) {
  return failInvalid("field '" + field + "' must be " + expected + ", not " + jsonTypeName(got));
}

}  // namespace

std::string jsonTypeName(const nlohmann::json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "an integer";
  if (v.is_number()) return "a number with a fraction";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

Result<JsonBody> JsonBody::parse(std::string_view text, bool allowEmpty) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    if (allowEmpty) return JsonBody(nlohmann::json::object());
    return failInvalid("the request body is empty; send a JSON object");
  }
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return failInvalid("malformed JSON at byte " + std::to_string(e.byte) + ": " +
                       std::string(e.what()).substr(std::string(e.what()).find(':') + 2));
  }
  if (!value.is_object())
    return failInvalid("the request body must be a JSON object, not " + jsonTypeName(value));
  return JsonBody(std::move(value));
}

const nlohmann::json* JsonBody::take(const std::string& field) {
  taken_.insert(field);
  auto it = object_.find(field);
  return it == object_.end() ? nullptr : &*it;
}

Result<std::optional<std::string>> JsonBody::optionalString(const std::string& field) {
  const nlohmann::json* v = take(field);
  if (!v) return std::optional<std::string>();
  if (!v->is_string()) return wrongType(field, "a string", *v);
  return std::optional<std::string>(v->get<std::string>());
}

Result<std::string> JsonBody::requiredString(const std::string& field) {
  auto v = optionalString(field);
  if (!v) return fail(std::move(v).error());
  if (!*v) return failInvalid("field '" + field + "' is required");
  return std::move(**v);
}

Result<std::optional<int64_t>> JsonBody::optionalInteger(const std::string& field) {
  const nlohmann::json* v = take(field);
  if (!v) return std::optional<int64_t>();
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    return failInvalid("field '" + field + "' is too large");
  if (!v->is_number_integer()) return wrongType(field, "an integer", *v);
  return std::optional<int64_t>(v->get<int64_t>());
}

Result<std::optional<bool>> JsonBody::optionalBool(const std::string& field) {
  const nlohmann::json* v = take(field);
  if (!v) return std::optional<bool>();
  if (!v->is_boolean()) return wrongType(field, "a boolean", *v);
  return std::optional<bool>(v->get<bool>());
}

Result<std::map<std::string, JsonBody::Entry>> JsonBody::optionalEntries(const std::string& field) {
  const nlohmann::json* v = take(field);
  std::map<std::string, Entry> out;
  if (!v) return out;
  if (!v->is_object()) return wrongType(field, "an object of KEY: value", *v);
  for (const auto& [key, item] : v->items()) {
    std::string where = field + "." + key;
    if (item.is_string()) {
      out[key] = Entry{item.get<std::string>(), ""};
      continue;
    }
    if (!item.is_object())
      return wrongType(where, "a string or {\"value\", \"description\"}", item);
    JsonBody inner(item);
    auto value = inner.requiredString("value");
    auto description = inner.optionalString("description");
    if (!value) return failInvalid(std::move(value).error().message + " (in '" + where + "')");
    if (!description)
      return failInvalid(std::move(description).error().message + " (in '" + where + "')");
    if (auto done = inner.finish(); !done)
      return failInvalid(done.error().message + " (in '" + where + "')");
    out[key] = Entry{std::move(*value), description->value_or("")};
  }
  return out;
}

Result<void> JsonBody::finish() const {
  for (const auto& [key, value] : object_.items()) {
    if (taken_.contains(key)) continue;
    std::string known;
    for (const auto& t : taken_) known += (known.empty() ? "'" : ", '") + t + "'";
    return failInvalid(
        "unknown field '" + key + "'" +
        (known.empty() ? "; this request takes no fields" : "; known fields: " + known));
  }
  return {};
}

}  // namespace spacelet::agent::api
