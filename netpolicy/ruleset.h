// Rendering of the `inet spacelet` nftables table as nft JSON commands (`nft -j -f -` input).
// Pure: the same input gives the same bytes, which the golden tests pin. The table's rules never
// name a Space; a Space is only elements keyed by its host-side ifname (spaceAdd/spaceDelete),
// so adding one is a few element commands at any table size.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "spacelet/netpolicy/address.h"
#include "spacelet/netpolicy/config.h"
#include "spacelet/netpolicy/net_policy.h"

namespace spacelet::netpolicy {

inline constexpr char kTableName[] = "spacelet";
// The sets whose per-element counters make up Counters (see counters.h).
inline constexpr char kSetTx[] = "space_tx";
inline constexpr char kSetRx[] = "space_rx";
inline constexpr char kSetAccepted[] = "space_accepted";
inline constexpr char kSetRejected[] = "space_rejected";
inline constexpr char kSetIfaces[] = "space_ifaces";

// The node-wide part of the ruleset, derived from the configuration.
struct RulesetParams {
  Prefix pool4;
  std::optional<Prefix> pool6;
  bool masquerade6 = true;
  std::vector<IpAddress> resolvers;
  std::vector<uint16_t> egressTcpPorts;
  std::vector<Prefix> deny4;  // normalized: sorted, no prefix inside another
  std::vector<Prefix> deny6;
};
// Built-in deny lists + extra_deny + the Space pools themselves, normalized.
RulesetParams rulesetParams(const Config& config);

// Sorts prefixes and drops those contained in another (nft rejects overlapping intervals).
std::vector<Prefix> normalizePrefixes(std::vector<Prefix> prefixes);

// Everything the table holds about one Space.
struct RulesetSpace {
  std::string ifname;
  IpAddress space4;
  std::optional<IpAddress> space6;
  uint16_t appPort = 0;
  std::vector<Override> overrides;
  std::vector<PublishedPort> published;
};

// The whole table with every Space, replacing any existing table in one transaction.
nlohmann::json renderTable(const RulesetParams& params, const std::vector<RulesetSpace>& spaces);
// Registers one Space (and its overrides and published ports). With replacedAppPort, the
// element of the Space's previous app port is removed in the same transaction.
nlohmann::json renderSpaceAdd(const RulesetSpace& space,
                              std::optional<uint16_t> replacedAppPort = std::nullopt);
// Unregisters one Space. Idempotent: each element is added, then deleted, in the same
// transaction, so a Space that is partly registered is removed without an error.
nlohmann::json renderSpaceDelete(const RulesetSpace& space);
// One override or published port of a registered Space.
nlohmann::json renderOverride(bool add, const RulesetSpace& space, const Override& override);
nlohmann::json renderPublished(bool add, const RulesetSpace& space, const PublishedPort& port);

}  // namespace spacelet::netpolicy
