// Startup checks of the network policy: the nft program, the node namespace, and the kernel
// features (veth, nf_tables and every expression the ruleset uses). The kernel checks run in a
// scratch network namespace that vanishes afterwards: the ruleset is loaded there for real, so
// a missing module shows up here, with what to install, instead of at the first attach.
#include <fcntl.h>
#include <unistd.h>

#include <vector>

#include "netns.h"
#include "nft_runner.h"
#include "rtnl.h"
#include "ruleset.h"
#include "spacelet/base/file_io.h"
#include "spacelet/netpolicy/net_policy.h"

namespace spacelet::netpolicy {
namespace {

constexpr char kModules[] =
    "modprobe nf_tables nft_ct nft_nat nft_masq nft_fib_inet nft_reject_inet nf_conntrack_netlink"
    " (kernel options CONFIG_NF_TABLES, CONFIG_NF_TABLES_INET, CONFIG_NFT_CT, CONFIG_NFT_NAT,"
    " CONFIG_NFT_MASQ, CONFIG_NFT_FIB_INET, CONFIG_NFT_REJECT_INET, CONFIG_NF_CT_NETLINK)";

std::string checkNodeNetns(const Config& config) {
  if (config.nodeNetns.empty()) return "";
  if (!isNetnsFile(config.nodeNetns)) {
    return "node network namespace '" + config.nodeNetns +
           "' is not a namespace file (nsfs): create it (ip netns add) or fix 'node_netns'";
  }
  return "";
}

std::string checkVeth() {
  auto result = runInScratchNetns([]() -> Result<void> {
    auto sock = openRtnl();
    if (!sock) return fail(std::move(sock).error());
    auto self = openAt(AT_FDCWD, "/proc/thread-self/ns/net", O_RDONLY);
    if (!self) return fail(std::move(self).error());
    return createVethPair(sock->get(), "spcheck0", self->view(), "spcheck1");
  });
  if (result) return "";
  if (result.error().code == EOPNOTSUPP) {
    return "the kernel has no veth support (" + result.error().message +
           "): load it with 'modprobe veth' (kernel option CONFIG_VETH)";
  }
  return "cannot create a veth pair in a scratch namespace: " + result.error().message;
}

std::string checkNftables(const Config& config) {
  std::string problem;
  auto result = runInScratchNetns([&]() -> Result<void> {
    NftRunner nft(config.nftPath, "", FdView(), config.nftTimeout);
    if (auto listed = nft.run({"-j", "list", "tables"}); !listed) {
      problem = "nf_tables is not available (" + listed.error().message + "): " + kModules;
      return {};
    }
    auto loaded = nft.apply(renderTable(rulesetParams(config), {}));
    if (!loaded) {
      problem = "the kernel cannot load the spacelet ruleset (" + loaded.error().message +
                "): a netfilter module is missing; " + kModules;
    }
    return {};
  });
  if (!result) return "cannot check nftables in a scratch namespace: " + result.error().message;
  return problem;
}

}  // namespace

Result<void> checkPrerequisites(const Config& config) {
  std::vector<std::string> problems;
  if (::access(config.nftPath.c_str(), X_OK) != 0) {
    problems.push_back("the nft program '" + config.nftPath +
                       "' is missing: install the 'nftables' package (apt-get install nftables) "
                       "or set 'nft' to its path");
  }
  if (!config.nftHelperPath.empty() && ::access(config.nftHelperPath.c_str(), X_OK) != 0) {
    problems.push_back("the nft helper '" + config.nftHelperPath +
                       "' is missing: reinstall spacelet (it ships the helper), set "
                       "'nft_helper' to its path, or set 'nft_helper: \"\"' to run nft "
                       "for each change");
  }
  if (auto p = checkNodeNetns(config); !p.empty()) problems.push_back(p);
  if (auto p = checkVeth(); !p.empty()) problems.push_back(p);
  if (problems.empty()) {
    if (auto p = checkNftables(config); !p.empty()) problems.push_back(p);
  }
  if (problems.empty()) return {};
  std::string message = "network policy prerequisites are missing:";
  for (const auto& p : problems) message += "\n  - " + p;
  return fail(Error{ENOENT, message});
}

}  // namespace spacelet::netpolicy
