// Implementation of the config value codecs (see codecs.h). Messages say what was expected,
// quote what was found, and what a valid value looks like.
#include "agent/config/codecs.h"

#include <arpa/inet.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "agent/config/settings.h"
#include "agent/config/units.h"

namespace spacelet::agent::config::codec {
namespace {

std::string quoted(const std::string& s) {
  return "'" + s + "'";
}

Result<std::string> scalarText(const YAML::Node& node, const std::string& expected) {
  if (!node.IsDefined() || node.IsNull()) return failInvalid("has no value; expected " + expected);
  if (!node.IsScalar()) {
    return failInvalid("expected " + expected + ", got a " + (node.IsMap() ? "map" : "list"));
  }
  return node.Scalar();
}

template <typename T>
Result<T> outOfRange(const std::string& text, const std::string& lo, const std::string& hi) {
  return failInvalid(quoted(text) + " is out of range; use a value from " + lo + " to " + hi);
}

std::string renderList(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + yamlQuote(values[i]);
  return out + "]";
}

Result<std::vector<std::string>> parseList(const YAML::Node& node, const std::string& expected) {
  if (!node.IsDefined() || node.IsNull()) return std::vector<std::string>{};
  if (!node.IsSequence()) return failInvalid("expected a list of " + expected);
  std::vector<std::string> out;
  for (const auto& item : node) {
    if (!item.IsScalar()) return failInvalid("expected a list of " + expected);
    out.push_back(item.Scalar());
  }
  return out;
}

bool isNormalAbsolute(const std::string& path) {
  if (path.empty() || path[0] != '/') return false;
  if (path.find('\0') != std::string::npos || path.find('\n') != std::string::npos) return false;
  if (path.size() > 1 && path.back() == '/') return false;
  return path.find("//") == std::string::npos && path.find("/./") == std::string::npos &&
         path.find("/../") == std::string::npos && !path.ends_with("/..") && !path.ends_with("/.");
}

}  // namespace

Result<std::string> Text::parse(const YAML::Node& node) const {
  auto text = scalarText(node, "a string");
  if (!text) return text;
  if (text->empty() && !allowEmpty) return failInvalid("must not be empty");
  return text;
}
std::string Text::render(const std::string& value) const {
  return yamlQuote(value);
}

Result<std::string> AbsolutePath::parse(const YAML::Node& node) const {
  auto text = scalarText(node, "an absolute path");
  if (!text) return text;
  if (text->empty() && allowEmpty) return text;
  if (!isNormalAbsolute(*text)) {
    return failInvalid(quoted(*text) +
                       " is not an absolute, normalized path; write it like '/var/lib/spacelet'");
  }
  return text;
}
std::string AbsolutePath::render(const std::string& value) const {
  return yamlQuote(value);
}

Result<std::string> Choice::parse(const YAML::Node& node) const {
  std::string all;
  for (const auto& v : values) all += (all.empty() ? "" : ", ") + quoted(v);
  auto text = scalarText(node, "one of " + all);
  if (!text) return text;
  for (const auto& v : values)
    if (*text == v) return text;
  return failInvalid(quoted(*text) + " is not one of " + all);
}
std::string Choice::render(const std::string& value) const {
  return yamlQuote(value);
}

Result<uint64_t> Unsigned::parse(const YAML::Node& node) const {
  auto text = scalarText(node, "a whole number");
  if (!text) return fail(std::move(text).error());
  auto value = parseInteger(*text);
  if (!value) return failInvalid("expected a whole number, got " + quoted(*text));
  if (*value < 0 || static_cast<uint64_t>(*value) < min || static_cast<uint64_t>(*value) > max)
    return outOfRange<uint64_t>(*text, std::to_string(min), std::to_string(max));
  return static_cast<uint64_t>(*value);
}
std::string Unsigned::render(const uint64_t& value) const {
  return std::to_string(value);
}

Result<uint64_t> Bytes::parse(const YAML::Node& node) const {
  auto text = scalarText(node, "a size like '512Mi' or '16Gi'");
  if (!text) return fail(std::move(text).error());
  auto value = parseBytes(*text);
  if (!value) {
    return failInvalid("expected a size like '512Mi' or '16Gi' (units Ki, Mi, Gi, Ti, K, M, G, T)" +
                       std::string(", got ") + quoted(*text));
  }
  if (*value < min || *value > max)
    return outOfRange<uint64_t>(*text, formatBytes(min), formatBytes(max));
  return *value;
}
std::string Bytes::render(const uint64_t& value) const {
  return formatBytes(value);
}

Result<uint64_t> Seconds::parse(const YAML::Node& node) const {
  auto text = scalarText(node, "a duration like '30s', '5m', '2h' or '7d'");
  if (!text) return fail(std::move(text).error());
  auto value = parseSeconds(*text);
  if (!value) {
    return failInvalid("expected a duration like '30s', '5m', '2h' or '7d', got " + quoted(*text));
  }
  if (*value < min || *value > max)
    return outOfRange<uint64_t>(*text, formatSeconds(min), formatSeconds(max));
  return *value;
}
std::string Seconds::render(const uint64_t& value) const {
  return formatSeconds(value);
}

Result<int64_t> SleepSeconds::parse(const YAML::Node& node) const {
  auto text = scalarText(node, "-1 (never) or a duration of at least 60s");
  if (!text) return fail(std::move(text).error());
  if (*text == "-1") return int64_t{-1};
  auto value = parseSeconds(*text);
  if (!value || *value < 60 || *value > 365ull * 86400) {
    return failInvalid(quoted(*text) + " is not a sleep time; use -1 (never sleep) or a duration " +
                       "from 60s to 365d");
  }
  return static_cast<int64_t>(*value);
}
std::string SleepSeconds::render(const int64_t& value) const {
  return value < 0 ? "-1" : formatSeconds(static_cast<uint64_t>(value));
}

Result<mode_t> Mode::parse(const YAML::Node& node) const {
  auto text = scalarText(node, "an octal mode like '0660'");
  if (!text) return fail(std::move(text).error());
  auto mode = parseMode(*text);
  if (!mode) return failInvalid("expected an octal mode like '0660', got " + quoted(*text));
  return *mode;
}
std::string Mode::render(const mode_t& value) const {
  return "\"" + formatMode(value) + "\"";
}

Result<double> Cpus::parse(const YAML::Node& node) const {
  auto text = scalarText(node, "a CPU count like 2 or 0.5");
  if (!text) return fail(std::move(text).error());
  char* end = nullptr;
  double value = std::strtod(text->c_str(), &end);
  if (text->empty() || *end != '\0' || !std::isfinite(value))
    return failInvalid("expected a CPU count like 2 or 0.5, got " + quoted(*text));
  if (value < min || value > max || (min == 0 && value != 0 && value < 0.01)) {
    char lo[32], hi[32];
    std::snprintf(lo, sizeof lo, "%g", min);
    std::snprintf(hi, sizeof hi, "%g", max);
    return outOfRange<double>(*text, lo, hi);
  }
  return value;
}
std::string Cpus::render(const double& value) const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", value);
  return buf;
}

Result<std::string> Cidr::parse(const YAML::Node& node) const {
  std::string example = family == AF_INET ? "'10.213.0.0/16'" : "'fd00:5::/64'";
  auto text = scalarText(node, "a network like " + example);
  if (!text) return text;
  if (text->empty() && allowEmpty) return text;
  if (!isCidr(*text, family)) {
    return failInvalid(quoted(*text) + " is not an " + (family == AF_INET ? "IPv4" : "IPv6") +
                       " network with zero host bits; write it like " + example);
  }
  return text;
}
std::string Cidr::render(const std::string& value) const {
  return yamlQuote(value);
}

Result<std::string> Url::parse(const YAML::Node& node) const {
  auto text = scalarText(node, "an http(s) URL");
  if (!text) return text;
  if (text->empty() && allowEmpty) return text;
  bool scheme = text->starts_with("https://") || text->starts_with("http://");
  bool clean = text->find_first_of(" \t\r\n") == std::string::npos;
  if (!scheme || !clean || text->size() < 10)
    return failInvalid(quoted(*text) + " is not an http(s) URL like 'https://pypi.org/simple'");
  return text;
}
std::string Url::render(const std::string& value) const {
  return yamlQuote(value);
}

Result<std::string> CdiKind::parse(const YAML::Node& node) const {
  auto text = scalarText(node, "a CDI device kind like 'nvidia.com/gpu'");
  if (!text || text->empty()) return text;
  size_t slash = text->find('/');
  bool ok = slash != std::string::npos && slash > 0 && slash + 1 < text->size() &&
            text->find('/', slash + 1) == std::string::npos &&
            text->substr(0, slash).find('.') != std::string::npos;
  if (!ok) {
    return failInvalid(quoted(*text) + " is not a CDI device kind; write 'vendor.domain/class' " +
                       "like 'nvidia.com/gpu'");
  }
  return text;
}
std::string CdiKind::render(const std::string& value) const {
  return yamlQuote(value);
}

Result<std::vector<std::string>> AddressList::parse(const YAML::Node& node) const {
  auto list = parseList(node, "IP addresses like ['1.1.1.1']");
  if (!list) return list;
  for (const auto& a : *list) {
    if (!isIpAddress(a)) return failInvalid(quoted(a) + " is not an IPv4 or IPv6 address");
  }
  return list;
}
std::string AddressList::render(const std::vector<std::string>& value) const {
  return renderList(value);
}

Result<std::vector<std::string>> PathList::parse(const YAML::Node& node) const {
  auto list = parseList(node, "absolute paths like ['/etc/cdi']");
  if (!list) return list;
  for (const auto& p : *list) {
    if (!isNormalAbsolute(p))
      return failInvalid(quoted(p) + " is not an absolute, normalized path");
  }
  return list;
}
std::string PathList::render(const std::vector<std::string>& value) const {
  return renderList(value);
}

}  // namespace spacelet::agent::config::codec
