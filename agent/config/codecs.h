// The value types of config settings: each codec reads one YAML node into a C++ value with its
// validation (ranges, absolute paths, CIDRs...) and prints the value back as YAML text.
// Private to agent/config; settings.cc builds the table from them.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "spacelet/base/error.h"

namespace spacelet::agent::config::codec {

// Free text. With allowEmpty false, "" is refused.
struct Text {
  using Type = std::string;
  bool allowEmpty = false;
  Result<Type> parse(const YAML::Node& node) const;
  std::string render(const Type& value) const;
};

// An absolute, normalized path ("/var/lib/spacelet"); "" only when allowEmpty.
struct AbsolutePath {
  using Type = std::string;
  bool allowEmpty = false;
  Result<Type> parse(const YAML::Node& node) const;
  std::string render(const Type& value) const;
};

// One of a fixed list of words.
struct Choice {
  using Type = std::string;
  std::vector<std::string> values;
  Result<Type> parse(const YAML::Node& node) const;
  std::string render(const Type& value) const;
};

struct Unsigned {
  using Type = uint64_t;
  uint64_t min = 0;
  uint64_t max = UINT64_MAX;
  Result<Type> parse(const YAML::Node& node) const;
  std::string render(const Type& value) const;
};

// A byte size with an optional unit ("16Gi").
struct Bytes {
  using Type = uint64_t;
  uint64_t min = 0;
  uint64_t max = UINT64_MAX;
  Result<Type> parse(const YAML::Node& node) const;
  std::string render(const Type& value) const;
};

// A duration in seconds with an optional unit ("5m").
struct Seconds {
  using Type = uint64_t;
  uint64_t min = 0;
  uint64_t max = UINT64_MAX;
  Result<Type> parse(const YAML::Node& node) const;
  std::string render(const Type& value) const;
};

// A Space's sleep time in seconds: -1 (never) or at least 60 ("48h" accepted).
struct SleepSeconds {
  using Type = int64_t;
  Result<Type> parse(const YAML::Node& node) const;
  std::string render(const Type& value) const;
};

// An octal permission mode ("0660").
struct Mode {
  using Type = mode_t;
  Result<Type> parse(const YAML::Node& node) const;
  std::string render(const Type& value) const;
};

// A CPU count, fractional allowed ("0.5"); 0 only when min is 0.
struct Cpus {
  using Type = double;
  double min = 0;
  double max = 4096;
  Result<Type> parse(const YAML::Node& node) const;
  std::string render(const Type& value) const;
};

// A network in CIDR form of one family; "" only when allowEmpty.
struct Cidr {
  using Type = std::string;
  int family = 0;  // AF_INET or AF_INET6
  bool allowEmpty = false;
  Result<Type> parse(const YAML::Node& node) const;
  std::string render(const Type& value) const;
};

// An http(s) URL; "" only when allowEmpty.
struct Url {
  using Type = std::string;
  bool allowEmpty = true;
  Result<Type> parse(const YAML::Node& node) const;
  std::string render(const Type& value) const;
};

// A CDI device kind ("nvidia.com/gpu"), or "" for flavors without GPUs.
struct CdiKind {
  using Type = std::string;
  Result<Type> parse(const YAML::Node& node) const;
  std::string render(const Type& value) const;
};

// A list of IP addresses.
struct AddressList {
  using Type = std::vector<std::string>;
  Result<Type> parse(const YAML::Node& node) const;
  std::string render(const Type& value) const;
};

// A list of absolute paths.
struct PathList {
  using Type = std::vector<std::string>;
  Result<Type> parse(const YAML::Node& node) const;
  std::string render(const Type& value) const;
};

}  // namespace spacelet::agent::config::codec
