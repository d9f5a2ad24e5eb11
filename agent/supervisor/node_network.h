// The network policy's configuration (netpolicy::Config) made from the agent's `network:`
// section and paths: every agent setting that the policy has reaches it, and the result is
// validated with the agent's key names.
#pragma once

#include <functional>
#include <string>

#include "agent/config/config.h"
#include "spacelet/base/error.h"
#include "spacelet/netpolicy/config.h"

namespace spacelet::agent::supervisor {

// The resolv.conf text whose nameservers Spaces use when `network.resolvers` is empty: the
// node's /etc/resolv.conf, unless it names no nameserver a Space can reach (only loopback
// stubs, such as systemd-resolved's 127.0.0.53, which in a Space is the Space's own
// loopback); then the upstream servers systemd-resolved lists in
// /run/systemd/resolve/resolv.conf, as Docker does. `read` returns a file's text ("" when it
// cannot be read).
std::string spaceResolvConf(const std::function<std::string(const std::string&)>& read);

// `resolvConf` is resolv.conf text (spaceResolvConf), whose IPv4 nameservers outside
// 127.0.0.0/8 are the resolvers when `network.resolvers` is empty. `helperPath` is
// spacelet-nft-helper's path ("" keeps netpolicy's default).
Result<netpolicy::Config> netpolicyConfig(const config::Config& c, const std::string& resolvConf,
                                          const std::string& helperPath);

}  // namespace spacelet::agent::supervisor
