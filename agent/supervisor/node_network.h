// The network policy's configuration (netpolicy::Config) made from the agent's `network:`
// section and paths: every agent setting that the policy has reaches it, and the result is
// validated with the agent's key names.
#pragma once

#include <string>

#include "agent/config/config.h"
#include "spacelet/base/error.h"
#include "spacelet/netpolicy/config.h"

namespace spacelet::agent::supervisor {

// `resolvConf` is the text of the node's /etc/resolv.conf, whose IPv4 nameservers are the
// resolvers when `network.resolvers` is empty. `helperPath` is spacelet-nft-helper's path
// ("" keeps netpolicy's default).
Result<netpolicy::Config> netpolicyConfig(const config::Config& c, const std::string& resolvConf,
                                          const std::string& helperPath);

}  // namespace spacelet::agent::supervisor
