// yamlToJson(): walks a yaml-cpp node tree into JSON. yaml-cpp's exceptions are caught here,
// where they are thrown, and become Errors.
#include "agent/gpu/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <regex>

namespace spacelet::agent::gpu {
namespace {

using nlohmann::json;

bool isNull(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

std::optional<bool> asBool(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

// YAML 1.2 core schema integers: decimal, 0o octal, 0x hex.
std::optional<json> asInteger(const std::string& s) {
  static const std::regex kDecimal("[-+]?[0-9]+"), kOctal("0o[0-7]+"), kHex("0x[0-9a-fA-F]+");
  int base = std::regex_match(s, kDecimal) ? 10
             : std::regex_match(s, kOctal) ? 8
             : std::regex_match(s, kHex)   ? 16
                                           : 0;
  if (base == 0) return std::nullopt;
  const char* digits = s.c_str() + (base == 10 ? 0 : 2);
  errno = 0;
  if (s[0] == '-') {
    long long v = std::strtoll(digits, nullptr, base);
    if (errno == ERANGE) return std::nullopt;
    return json(v);
  }
  unsigned long long v = std::strtoull(digits, nullptr, base);
  if (errno == ERANGE) return std::nullopt;
  return json(v);
}

std::optional<json> asFloat(const std::string& s) {
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (!std::regex_match(s, kFloat)) return std::nullopt;
  return json(std::strtod(s.c_str(), nullptr));
}

json scalar(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: always a string
  if (isNull(text)) return nullptr;
  if (auto b = asBool(text)) return *b;
  if (auto i = asInteger(text)) return *i;
  if (auto f = asFloat(text)) return *f;
  return text;
}

json convert(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& entry : node) out[entry.first.Scalar()] = convert(entry.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(convert(item));
      return out;
    }
    case YAML::NodeType::Scalar:
      return scalar(node);
    default:
      return nullptr;
  }
}

}  // namespace

Result<nlohmann::json> yamlToJson(const std::string& text) {
  try {
    return convert(YAML::Load(text));
  } catch (const YAML::Exception& e) {
    return failInvalid("YAML line " + std::to_string(e.mark.line + 1) + ", column " +
                       std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

}  // namespace spacelet::agent::gpu
