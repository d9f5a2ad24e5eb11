// Reading the per-Space counters out of `nft -j list set` output: each counter set holds one
// element per Space ("sp-..." with its own packets/bytes counter), updated by the rule that
// looks the interface up (accepted, rejected, tx, rx).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "spacelet/base/error.h"
#include "spacelet/netpolicy/net_policy.h"

namespace spacelet::netpolicy {

// Parses `nft -j list table inet spacelet` output into counters by interface name. (One
// listing of the table: nft 1.0.6 fails a batch of several `list set` commands.)
Result<std::map<std::string, Counters>> parseCounters(std::string_view nftOutput);

}  // namespace spacelet::netpolicy
