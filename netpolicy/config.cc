// The network policy's configuration: built-in deny lists, validation that names the key,
// and reading the YAML section. yaml-cpp throws; every exception is caught here and becomes
// an Error that quotes the key and the value.
#include "spacelet/netpolicy/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <tuple>

namespace spacelet::netpolicy {

std::string defaultNftHelperPath() {
  return SPACELET_NFT_HELPER_PATH;
}
namespace {

std::vector<Prefix> parseAll(std::initializer_list<const char*> texts) {
  std::vector<Prefix> out;
  for (const char* t : texts) out.push_back(*Prefix::parse(t));
  return out;
}

std::string key(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : std::string(prefix) + "." + std::string(name);
}

Unexpected keyError(std::string_view prefix, std::string_view name, const std::string& what) {
  return failInvalid(key(prefix, name) + ": " + what);
}

Result<void> validateNetwork(const Prefix& p, Family family, int maxLength, std::string_view k) {
  std::string text = "'" + p.toString() + "'";
  if (p.address.family != family) {
    return failInvalid(std::string(k) + ": " + text + " is not an " +
                       (family == Family::kIpv4 ? "IPv4" : "IPv6") + " prefix");
  }
  if (p.network() != p) {
    return failInvalid(std::string(k) + ": " + text + " has host bits set; did you mean '" +
                       p.network().toString() + "'?");
  }
  if (p.length > maxLength) {
    return failInvalid(std::string(k) + ": " + text + " is too small; use a prefix of /" +
                       std::to_string(maxLength) + " or shorter");
  }
  return {};
}

Result<void> validatePaths(const Config& c, std::string_view kp) {
  const std::pair<const char*, const std::string*> paths[] = {
      {"netns_dir", &c.netnsDir}, {"state_dir", &c.stateDir}, {"nft", &c.nftPath}};
  for (const auto& [name, value] : paths) {
    if (value->empty() || value->front() != '/') {
      return keyError(kp, name, "'" + *value + "' must be an absolute path");
    }
  }
  if (!c.nftHelperPath.empty() && c.nftHelperPath.front() != '/') {
    return keyError(kp, "nft_helper",
                    "'" + c.nftHelperPath + "' must be an absolute path or empty");
  }
  if (!c.nodeNetns.empty() && c.nodeNetns.front() != '/') {
    return keyError(kp, "node_netns", "'" + c.nodeNetns + "' must be an absolute path or empty");
  }
  return {};
}

Result<void> validateResolvers(const Config& c, std::string_view kp) {
  for (const auto& r : c.resolvers) {
    std::string text = "'" + r.toString() + "'";
    if (r.isV4() ? c.ipv4Pool.contains(r) : (c.ipv6Prefix && c.ipv6Prefix->contains(r))) {
      return keyError(kp, "resolvers",
                      text +
                          " lies inside the Space address pool; pick an "
                          "address outside 'ipv4_pool'/'ipv6_prefix'");
    }
    if (!r.isV4() && !c.ipv6Prefix) {
      return keyError(kp, "resolvers", text + " is IPv6 but 'ipv6_prefix' is not set");
    }
    if (r == IpAddress{r.family, {}}) {
      return keyError(kp, "resolvers", text + " is the unspecified address");
    }
  }
  return {};
}

Result<void> validatePorts(const Config& c, std::string_view kp) {
  std::set<uint16_t> seen;
  for (uint16_t port : c.egressTcpPorts) {
    if (port == 0) return keyError(kp, "egress_tcp_ports", "'0' is not a port (1 to 65535)");
    if (!seen.insert(port).second) {
      return keyError(kp, "egress_tcp_ports", "'" + std::to_string(port) + "' is listed twice");
    }
  }
  if (c.defaultAppPort == 0) {
    return keyError(kp, "default_app_port", "'0' is not a port (1 to 65535)");
  }
  for (auto [name, value] : {std::pair{"nft_timeout_ms", c.nftTimeout.count()},
                             std::pair{"link_timeout_ms", c.linkTimeout.count()}}) {
    if (value < 100 || value > 600000) {
      return keyError(kp, name, "'" + std::to_string(value) + "' is out of range (100 to 600000)");
    }
  }
  return {};
}

}  // namespace

std::vector<Prefix> builtinDeny4() {
  return parseAll({"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
                   "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24",
                   "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
                   "224.0.0.0/4", "240.0.0.0/4"});
}

std::vector<Prefix> builtinDeny6() {
  return parseAll({"::/128", "::1/128", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48",
                   "100::/64", "2001::/32", "2001:2::/48", "2001:10::/28", "2001:20::/28",
                   "2001:db8::/32", "2002::/16", "3fff::/20", "fc00::/7", "fe80::/10", "fec0::/10",
                   "ff00::/8"});
}

Result<void> validate(const Config& c, std::string_view kp) {
  SPACELET_TRY(validatePaths(c, kp));
  // A /31 per Space: a /31 pool holds one Space.
  SPACELET_TRY(validateNetwork(c.ipv4Pool, Family::kIpv4, 31, key(kp, "ipv4_pool")));
  if (c.ipv6Prefix) {
    SPACELET_TRY(validateNetwork(*c.ipv6Prefix, Family::kIpv6, 127, key(kp, "ipv6_prefix")));
  }
  SPACELET_TRY(validateResolvers(c, kp));
  SPACELET_TRY(validatePorts(c, kp));
  for (const auto& p : c.extraDeny) {
    if (p.network() != p) {
      return keyError(kp, "extra_deny",
                      "'" + p.toString() + "' has host bits set; did you mean '" +
                          p.network().toString() + "'?");
    }
  }
  return {};
}

namespace {

// One YAML scalar converted to T; yaml-cpp's exception becomes an error naming the key.
template <typename T>
Result<T> scalar(const YAML::Node& node, const std::string& k, const char* expected) {
  try {
    if (!node.IsScalar()) return failInvalid(k + ": expected " + std::string(expected));
    return node.as<T>();
  } catch (const YAML::Exception&) {
    return failInvalid(k + ": '" + node.Scalar() + "' is not " + expected);
  }
}

Result<uint16_t> port(const YAML::Node& node, const std::string& k) {
  auto v = scalar<long>(node, k, "a port number (1 to 65535)");
  if (!v) return fail(std::move(v).error());
  if (*v < 1 || *v > 65535) {
    return failInvalid(k + ": '" + std::to_string(*v) + "' is not a port (1 to 65535)");
  }
  return static_cast<uint16_t>(*v);
}

template <typename T, typename F>
Result<std::vector<T>> list(const YAML::Node& node, const std::string& k, F each) {
  if (!node.IsSequence()) return failInvalid(k + ": expected a list");
  std::vector<T> out;
  for (size_t i = 0; i < node.size(); ++i) {
    auto v = each(node[i], k + "[" + std::to_string(i) + "]");
    if (!v) return fail(std::move(v).error());
    out.push_back(std::move(*v));
  }
  return out;
}

template <typename T, typename Parse>
Result<T> parsed(const YAML::Node& node, const std::string& k, Parse parse) {
  auto text = scalar<std::string>(node, k, "a string");
  if (!text) return fail(std::move(text).error());
  auto v = parse(*text);
  if (!v) return fail(std::move(v).error().withContext(k));
  return std::move(*v);
}

using Setter = std::function<Result<void>(const YAML::Node&, const std::string&, Config&)>;

template <typename T>
Result<void> assign(Result<T> value, T& field) {
  if (!value) return fail(std::move(value).error());
  field = std::move(*value);
  return {};
}

Setter milliseconds(std::chrono::milliseconds Config::*field) {
  return [field](const YAML::Node& n, const std::string& k, Config& c) -> Result<void> {
    auto ms = scalar<long>(n, k, "a number of milliseconds");
    if (!ms) return fail(std::move(ms).error());
    c.*field = std::chrono::milliseconds(*ms);
    return {};
  };
}

const std::map<std::string, Setter>& setters() {
  auto str = [](std::string Config::*field) {
    return Setter([field](const YAML::Node& n, const std::string& k, Config& c) {
      return assign(scalar<std::string>(n, k, "a string"), c.*field);
    });
  };
  auto flag = [](bool Config::*field) {
    return Setter([field](const YAML::Node& n, const std::string& k, Config& c) {
      return assign(scalar<bool>(n, k, "true or false"), c.*field);
    });
  };
  auto prefix = [](const YAML::Node& n, const std::string& k) {
    return parsed<Prefix>(n, k, Prefix::parse);
  };
  static const std::map<std::string, Setter> table = {
      {"node_netns", str(&Config::nodeNetns)},
      {"netns_dir", str(&Config::netnsDir)},
      {"state_dir", str(&Config::stateDir)},
      {"nft", str(&Config::nftPath)},
      {"nft_helper", str(&Config::nftHelperPath)},
      {"ipv6_masquerade", flag(&Config::ipv6Masquerade)},
      {"manage_forwarding", flag(&Config::manageForwarding)},
      {"nft_timeout_ms", milliseconds(&Config::nftTimeout)},
      {"link_timeout_ms", milliseconds(&Config::linkTimeout)},
      {"ipv4_pool", [prefix](const YAML::Node& n, const std::string& k,
                             Config& c) { return assign(prefix(n, k), c.ipv4Pool); }},
      {"ipv6_prefix",
       [prefix](const YAML::Node& n, const std::string& k, Config& c) -> Result<void> {
         if (n.IsNull() || (n.IsScalar() && n.Scalar().empty())) return {};  // "": IPv4 only
         auto p = prefix(n, k);
         if (!p) return fail(std::move(p).error());
         c.ipv6Prefix = *p;
         return {};
       }},
      {"resolvers",
       [](const YAML::Node& n, const std::string& k, Config& c) {
         return assign(list<IpAddress>(n, k,
                                       [](const YAML::Node& e, const std::string& ek) {
                                         return parsed<IpAddress>(e, ek, IpAddress::parse);
                                       }),
                       c.resolvers);
       }},
      {"egress_tcp_ports",
       [](const YAML::Node& n, const std::string& k, Config& c) {
         return assign(list<uint16_t>(n, k, port), c.egressTcpPorts);
       }},
      {"extra_deny",
       [prefix](const YAML::Node& n, const std::string& k, Config& c) {
         return assign(list<Prefix>(n, k, prefix), c.extraDeny);
       }},
      {"default_app_port", [](const YAML::Node& n, const std::string& k,
                              Config& c) { return assign(port(n, k), c.defaultAppPort); }},
  };
  return table;
}

std::string knownKeys() {
  std::string out;
  for (const auto& [name, _] : setters()) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

Result<Config> configFromYaml(const YAML::Node& section, std::string_view kp) {
  Config config;
  if (!section.IsDefined() || section.IsNull()) return config;
  if (!section.IsMap()) return failInvalid(std::string(kp) + ": expected a mapping");
  for (const auto& entry : section) {
    std::string name = entry.first.as<std::string>();
    auto it = setters().find(name);
    if (it == setters().end()) {
      return keyError(kp, name, "unknown key (known keys: " + knownKeys() + ")");
    }
    SPACELET_TRY(it->second(entry.second, key(kp, name), config));
  }
  SPACELET_TRY(validate(config, kp));
  return config;
}

namespace {

// The agent's configuration file keeps its paths in `paths:`; the network policy's state and
// namespaces live below them, so spacelet-net finds what spaceletd made.
Result<void> applyAgentPaths(const YAML::Node& root, Config& config) {
  const YAML::Node paths = root["paths"];
  if (!paths || !paths.IsMap()) return {};
  for (auto [name, field, suffix] : {std::tuple{"state_dir", &Config::stateDir, "/net"},
                                     std::tuple{"run_dir", &Config::netnsDir, "/netns"}}) {
    if (!paths[name]) continue;
    auto dir = scalar<std::string>(paths[name], std::string("paths.") + name, "a path");
    if (!dir) return fail(std::move(dir).error());
    if (dir->empty() || dir->front() != '/') {
      return failInvalid(std::string("paths.") + name + ": '" + *dir +
                         "' must be an absolute path");
    }
    config.*field = *dir + suffix;
  }
  return {};
}

}  // namespace

Result<Config> loadConfigFile(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return failErrno(errno ? errno : ENOENT, "read configuration '" + path + "'");
  } catch (const YAML::Exception& e) {
    return failInvalid("configuration '" + path + "': " + e.what());
  }
  bool agentFile = root.IsMap() && (root["network"] || root["paths"]);
  auto config = agentFile ? configFromYaml(root["network"], "network") : configFromYaml(root, "");
  if (config && agentFile) {
    auto paths = applyAgentPaths(root, *config);
    if (!paths) config = fail(std::move(paths).error());
  }
  if (!config) return fail(std::move(config).error().withContext("configuration '" + path + "'"));
  return config;
}

}  // namespace spacelet::netpolicy
