// The network policy's configuration: where the node's network lives, the address pools, the
// resolvers, the allowed egress ports and the extra denied ranges. Every key has a default
// except the resolvers; validate() names the offending key in every error.
// YAML keys are snake_case (see docs/netpolicy.md); struct fields are their camelCase twins.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spacelet/base/error.h"
#include "spacelet/netpolicy/address.h"

namespace YAML {
class Node;
}

namespace spacelet::netpolicy {

// Where the package installs spacelet-nft-helper (<libexecdir>/spacelet/).
std::string defaultNftHelperPath();

struct Config {
  // The network namespace that plays the node: where the `inet spacelet` table, the `sp-*`
  // host ends and the conntrack entries live. Empty: the namespace of the calling process
  // (the real agent). Tests and benchmarks point it at a namespace they created.
  std::string nodeNetns;
  // Each Space's network namespace is bind-mounted at <netnsDir>/sp-<short id>.
  std::string netnsDir = "/run/spacelet/netns";
  // IPAM leases and per-Space policy (overrides, published ports).
  std::string stateDir = "/var/lib/spacelet/net";
  // The nft(8) program; it is run in the node namespace as `nft -j -f -`.
  std::string nftPath = "/usr/sbin/nft";
  // spacelet-nft-helper, the long-lived process that applies the table changes (it saves an
  // nft start per change). Empty: an nft process for each change.
  std::string nftHelperPath = defaultNftHelperPath();
  // Each Space gets the next free /31 of this pool: host end even, Space end odd.
  Prefix ipv4Pool = *Prefix::parse("10.213.0.0/16");
  // Optional IPv6: each Space gets the /127 with the same index as its IPv4 /31.
  std::optional<Prefix> ipv6Prefix;
  // Masquerade Space IPv6 traffic behind the node (off when the prefix is routed to the node).
  bool ipv6Masquerade = true;
  // The only DNS servers a Space may query (UDP and TCP 53); written to its resolv.conf.
  std::vector<IpAddress> resolvers;
  // New TCP connections to these ports of public addresses are accepted; nothing else.
  std::vector<uint16_t> egressTcpPorts = {80, 443, 8080};
  // Ranges denied in addition to the built-in lists (builtinDeny4/6); both families.
  std::vector<Prefix> extraDeny;
  // The Space port the node may connect to when a SpaceSpec leaves it 0.
  uint16_t defaultAppPort = 7860;
  // Set net.ipv4.ip_forward (and IPv6 forwarding when enabled) in the node namespace.
  bool manageForwarding = true;
  // How long one nft run may take before it is killed.
  std::chrono::milliseconds nftTimeout{10000};
  // How long a new veth pair may take to become operational before attach fails.
  std::chrono::milliseconds linkTimeout{5000};
};

// Private, loopback, link-local (169.254.169.254 included), CGNAT, benchmarking,
// documentation, multicast and reserved IPv4 ranges.
std::vector<Prefix> builtinDeny4();
// ULA, link-local, site-local, loopback, unspecified, v4-mapped, NAT64, discard, Teredo,
// ORCHID, benchmarking, documentation, 6to4 and multicast IPv6 ranges.
std::vector<Prefix> builtinDeny6();

// Checks values and their relations (pool sizes, resolvers outside the pool, ...). Error
// messages start with the YAML key, e.g. "network.ipv4_pool: '10.0.0.1/16' has host bits set".
Result<void> validate(const Config& config, std::string_view keyPrefix = "network");

// Reads a YAML mapping (the `network:` section of the agent's configuration, or a file of its
// own); missing keys keep their defaults, unknown keys are errors. The result is validated.
Result<Config> configFromYaml(const YAML::Node& section, std::string_view keyPrefix = "network");
// Loads a YAML file; when it has a top-level `network:` mapping, that section is used.
Result<Config> loadConfigFile(const std::string& path);

}  // namespace spacelet::netpolicy
