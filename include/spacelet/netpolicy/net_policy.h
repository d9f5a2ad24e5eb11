// The network policy the agent links: each Space in its own network namespace behind a routed
// /31 veth, reaching only DNS at the node's resolver and TCP 80/443/8080 of public addresses.
// One `inet spacelet` nftables table holds the rules; a Space is only set/map elements keyed
// by its host-side interface name, so attaching or detaching one is constant time.
// See docs/netpolicy.md for the ruleset, the state files and the namespace model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spacelet/base/error.h"
#include "spacelet/netpolicy/address.h"
#include "spacelet/netpolicy/config.h"

namespace spacelet::netpolicy {

// What the agent asks for: a Space by its id (any string, e.g. "alice/demo") and the port of
// its app that the node (agent, front proxy) may connect to. 0: Config::defaultAppPort.
struct SpaceSpec {
  std::string spaceId;
  uint16_t appPort = 0;
};

// What a Space got. netnsPath is a bind-mounted namespace file: put it in the container's
// OCI spec (linux.namespaces: {type: network, path}); resolvConf is the file's content.
struct SpaceNetwork {
  std::string spaceId;
  std::string ifname;  // host side, "sp-" + 12 characters
  std::string netnsPath;
  IpAddress hostIpv4;   // the Space's gateway
  IpAddress spaceIpv4;  // eth0 inside the Space
  std::optional<IpAddress> hostIpv6;
  std::optional<IpAddress> spaceIpv6;
  uint16_t appPort = 0;
  std::string resolvConf;
};

enum class Protocol { kTcp, kUdp };
enum class Verdict { kAllow, kDeny };

// An operator's explicit exception for one Space: traffic to `destination` on
// protocol/ports [firstPort, lastPort] is allowed (or denied) before the default rules.
// Text form (CLI, state files): "allow tcp 10.1.2.3/32 5432" or "deny udp ::/0 1-65535".
struct Override {
  Verdict verdict = Verdict::kAllow;
  Protocol protocol = Protocol::kTcp;
  Prefix destination;
  uint16_t firstPort = 0;
  uint16_t lastPort = 0;

  static Result<Override> parse(std::string_view text);
  std::string toString() const;
  bool operator==(const Override&) const = default;
};

// A node TCP port DNATed to a Space's port, for nodes without a front proxy.
struct PublishedPort {
  uint16_t hostPort = 0;
  uint16_t spacePort = 0;
  bool operator==(const PublishedPort&) const = default;
};

// Per-Space counters kept by the kernel in the table's set elements. Connections are first
// packets the policy accepted or rejected (a retransmitted SYN counts again).
struct Counters {
  uint64_t acceptedConnections = 0;
  uint64_t rejectedConnections = 0;
  uint64_t txPackets = 0;  // from the Space (forwarded or to the node)
  uint64_t txBytes = 0;
  uint64_t rxPackets = 0;  // to the Space
  uint64_t rxBytes = 0;
};

struct SpaceStatus {
  SpaceNetwork network;
  bool attached = false;  // false: only a lease is kept (detached, not released)
  Counters counters;
  std::vector<Override> overrides;
  std::vector<PublishedPort> published;
};

// "sp-" + 12 base32 characters of a hash of the id (an ifname has at most 15 characters).
// Two ids with the same name are reported as a collision when the second one is attached.
std::string interfaceName(std::string_view spaceId);

// Reports everything missing on this host, each with what to install or load: the nft
// program, nf_tables, veth, and the node namespace. Run by NetPolicy::open().
Result<void> checkPrerequisites(const Config& config);

// Thread-safety: every method may be called from any thread; they serialize on an internal
// mutex, and across processes (the agent and `spacelet-net`) on a lock file in the state
// directory, reloading the state another process changed.
// Children: spacelet-nft-helper (one, long-lived, restarted when dead) and nft for listings
// (posix_spawn from a short-lived thread that joined the node namespace; every fd the object
// holds is close-on-exec). One thread of its own deletes detached Spaces' links (settle()).
class NetPolicy {
 public:
  // Validates the configuration, checks prerequisites, enters the node namespace for its
  // netlink sockets and loads the leases. Does not touch the nftables table.
  static Result<std::unique_ptr<NetPolicy>> open(Config config);
  ~NetPolicy();
  NetPolicy(const NetPolicy&) = delete;
  NetPolicy& operator=(const NetPolicy&) = delete;

  const Config& config() const;

  // Makes the node match `desired` (the agent's view at start): replaces the whole table in
  // one transaction, creates what desired Spaces miss, deletes stale sp-* links, namespaces
  // and conntrack entries. Leases of Spaces not in `desired` are kept until release().
  // `progress` (optional) is called with (Spaces checked or rebuilt, total) as it goes:
  // rebuilding the links of thousands of Spaces after a reboot takes minutes.
  using Progress = std::function<void(size_t done, size_t total)>;
  Result<void> reconcile(const std::vector<SpaceSpec>& desired, const Progress& progress = {});

  // Gives a Space its namespace, veth pair, addresses (the same ones on every attach until
  // release()), routes and elements. Attaching an attached Space refreshes it.
  Result<SpaceNetwork> attach(const SpaceSpec& spec);
  // Removes the Space's elements, links, namespace and conntrack entries; keeps its lease,
  // overrides and published ports. It returns once the Space can neither send nor be reached
  // (elements, node-side addresses, namespace file and conntrack entries are gone); its veth
  // pair, which then carries nothing, is deleted in the background (see settle()).
  Result<void> detach(std::string_view spaceId);
  // Detaches if needed, then frees the Space's addresses and forgets its policy.
  Result<void> release(std::string_view spaceId);
  // Waits until the veth pairs of detached Spaces are deleted; returns the first deletion
  // that failed since the last call (reconcile() removes such a link as stale). The
  // destructor waits as well.
  Result<void> settle();

  Result<Counters> counters(std::string_view spaceId);
  // Every leased Space, sorted by id, with counters when attached.
  Result<std::vector<SpaceStatus>> show();

  Result<void> addOverride(std::string_view spaceId, const Override& override);
  Result<void> removeOverride(std::string_view spaceId, const Override& override);
  Result<void> publish(std::string_view spaceId, PublishedPort port);
  Result<void> unpublish(uint16_t hostPort);

  class Impl;

 private:
  explicit NetPolicy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace spacelet::netpolicy
