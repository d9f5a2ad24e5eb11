// The state behind a NetPolicy, shared by the files that implement its operations
// (net_policy.cc: attach, detach, reconcile, counters; policy_edits.cc: overrides and published
// ports). Every member function expects the caller to hold an Operation (see begin()).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "ipam.h"
#include "link_reaper.h"
#include "nft_runner.h"
#include "rtnl.h"
#include "ruleset.h"
#include "spacelet/netpolicy/net_policy.h"
#include "state_store.h"

namespace spacelet::netpolicy {

class NetPolicy::Impl {
 public:
  Impl(Config c, UniqueFd ns, StateStore s)
      : config(std::move(c)),
        params(rulesetParams(config)),
        nodeNetns(std::move(ns)),
        store(std::move(s)),
        ipam(PoolLayout{config.ipv4Pool, config.ipv6Prefix}),
        nft(config.nftPath, config.nftHelperPath, nodeNetns.view(), config.nftTimeout) {}

  // Held for the length of one public operation.
  struct Operation {
    std::unique_lock<std::mutex> guard;
    StateStore::Lock fileLock;
  };

  Config config;
  RulesetParams params;
  UniqueFd nodeNetns;
  NlSocket rtnl;            // NETLINK_ROUTE in the node namespace
  NlSocket conntrack;       // NETLINK_NETFILTER in the node namespace
  UniqueFd conntrackCount;  // the node's nf_conntrack_count, opened once conntrack is in use
  StateStore store;
  Ipam ipam;
  std::map<std::string, SpacePolicy> policies;  // by ifname
  uint64_t generation = UINT64_MAX;             // none loaded yet
  std::mutex mutex;
  NftRunner nft;
  std::unique_ptr<LinkReaper> reaper;  // detached Spaces' links; made by openSockets()

  Result<void> openSockets();
  Result<void> checkPoolCollision();
  Result<Operation> begin();
  Result<void> refresh();
  Result<void> commit();

  std::string netnsPath(const std::string& ifname) const { return config.netnsDir + "/" + ifname; }
  const Lease* findLease(std::string_view spaceId, Result<void>& error) const;
  SpaceNetwork networkOf(const Lease& lease) const;
  RulesetSpace rulesetSpaceOf(const Lease& lease) const;
  Result<std::optional<uint16_t>> leaseFor(const SpaceSpec& spec, Lease& out);
  Result<void> ensureLinks(const Lease& lease);
  Result<void> ensureLinks(const Lease& lease, bool linkExists);
  Result<void> createLinks(const Lease& lease);
  Result<void> wireLinks(const Lease& lease, nl_sock* inside);
  Result<int> wireHostEnd(const Lease& lease, const SlotAddresses& a);
  Result<int> wireSpaceEnd(const SlotAddresses& a, nl_sock* inside);
  Result<void> disableIpv6(const std::string& ifname);
  Result<void> pinNeighbors6(const Lease& lease, int hostIndex, int spaceIndex, nl_sock* inside);
  Result<void> removeLinks(const std::string& ifname);
  void releaseHostAddresses(const Lease& lease, int ifindex);
  Result<void> detachLocked(const Lease& lease);
  Result<bool> attached(const std::string& ifname) const;
  Result<void> applyIfAttached(const Lease& lease, const nlohmann::json& document);
  Result<std::map<std::string, Counters>> readCounters() const;
  Result<bool> tableExists() const;
  // Applies a document that needs the table; a missing table is explained.
  Result<void> applyToTable(const nlohmann::json& document) const;
  Result<void> finishTableChange(Result<NftRunner::Pending> pending) const;
  // `links`: the sp-* links that existed when the operation started.
  Result<void> removeStale(const std::set<std::string>& wanted, const std::set<std::string>& links);
  std::set<IpAddress> addressesOf(const Lease& lease) const;
  // Deletes the node's conntrack entries of addresses `owned` accepts (skipped when the node
  // has none at all).
  Result<void> deleteConntrackOf(const std::function<bool(const IpAddress&)>& owned);
};

}  // namespace spacelet::netpolicy
