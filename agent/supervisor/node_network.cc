// The network policy's configuration from the agent's (see node_network.h).
#include "agent/supervisor/node_network.h"

#include <sstream>

namespace spacelet::agent::supervisor {
namespace {

// The IPv4 nameservers of resolv.conf text that a Space can reach (a Space has IPv6 only when
// the node enables it; a loopback address is the Space's own loopback there).
std::vector<std::string> nameservers(const std::string& resolvConf) {
  std::vector<std::string> out;
  std::istringstream in(resolvConf);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string key, value;
    if (words >> key >> value && key == "nameserver" && value.find(':') == std::string::npos &&
        !value.starts_with("127.")) {
      out.push_back(value);
    }
  }
  return out;
}

}  // namespace

std::string spaceResolvConf(const std::function<std::string(const std::string&)>& read) {
  std::string node = read("/etc/resolv.conf");
  if (!nameservers(node).empty()) return node;
  std::string upstream = read("/run/systemd/resolve/resolv.conf");
  return nameservers(upstream).empty() ? node : upstream;
}

Result<netpolicy::Config> netpolicyConfig(const config::Config& c, const std::string& resolvConf,
                                          const std::string& helperPath) {
  netpolicy::Config net;
  net.nodeNetns = c.network.nodeNetns;
  if (!helperPath.empty()) net.nftHelperPath = helperPath;
  net.netnsDir = c.paths.runDir + "/netns";
  net.stateDir = c.paths.stateDir + "/net";
  auto pool = netpolicy::Prefix::parse(c.network.ipv4Pool);
  if (!pool) return fail(std::move(pool).error().withContext("network.ipv4_pool"));
  net.ipv4Pool = *pool;
  if (!c.network.ipv6Prefix.empty()) {
    auto prefix = netpolicy::Prefix::parse(c.network.ipv6Prefix);
    if (!prefix) return fail(std::move(prefix).error().withContext("network.ipv6_prefix"));
    net.ipv6Prefix = *prefix;
  }
  const auto& configured = c.network.resolvers;
  for (const auto& text : configured.empty() ? nameservers(resolvConf) : configured) {
    auto address = netpolicy::IpAddress::parse(text);
    if (!address) return fail(std::move(address).error().withContext("network.resolvers"));
    net.resolvers.push_back(*address);
  }
  net.nftTimeout = std::chrono::seconds(c.network.nftTimeoutSeconds);
  SPACELET_TRY(netpolicy::validate(net, "network"));
  return net;
}

}  // namespace spacelet::agent::supervisor
