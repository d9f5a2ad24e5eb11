// The network policy's orchestration (see net_policy.h): each public operation is a short list
// of steps over the pure parts (ipam, ruleset) and the thin appliers (netns, rtnl, nft,
// conntrack, state store). Every operation holds the object's mutex and the state-dir lock.
#include "spacelet/netpolicy/net_policy.h"

#include <fcntl.h>

#include <filesystem>
#include <mutex>
#include <set>

#include "conntrack.h"
#include "counters.h"
#include "net_policy_impl.h"
#include "netns.h"
#include "spacelet/base/file_io.h"

namespace spacelet::netpolicy {
namespace {

constexpr char kInsideName[] = "eth0";

// Keeps the first error of a sequence of steps that must all be tried.
void keepFirst(Result<void>& first, Result<void> step) {
  if (first && !step) first = std::move(step);
}

Result<void> enableForwarding(bool ipv6) {
  SPACELET_TRY(writeFileAt(AT_FDCWD, "/proc/sys/net/ipv4/ip_forward", "1"));
  if (ipv6) SPACELET_TRY(writeFileAt(AT_FDCWD, "/proc/sys/net/ipv6/conf/all/forwarding", "1"));
  return {};
}

std::string resolvConf(const std::vector<IpAddress>& resolvers) {
  if (resolvers.empty()) return "# no resolver configured (network.resolvers): no DNS\n";
  std::string out;
  for (const auto& r : resolvers) out += "nameserver " + r.toString() + "\n";
  return out;
}

}  // namespace

// --- setup and bookkeeping ---------------------------------------------------------------

Result<void> NetPolicy::Impl::openSockets() {
  return runInNetns(nodeNetns.view(), [&]() -> Result<void> {
    auto route = openRtnl();
    if (!route) return fail(std::move(route).error());
    auto nf = openConntrack();
    if (!nf) return fail(std::move(nf).error());
    auto reaping = openRtnl();
    if (!reaping) return fail(std::move(reaping).error());
    rtnl = std::move(*route);
    conntrack = std::move(*nf);
    reaper = std::make_unique<LinkReaper>(std::move(*reaping));
    if (config.manageForwarding) {
      SPACELET_TRY_CONTEXT(enableForwarding(config.ipv6Prefix.has_value()),
                           "enable forwarding in the node namespace (or set "
                           "'manage_forwarding: false' and enable it yourself)");
    }
    return {};
  });
}

// A pool that overlaps an address the node already uses would route Space traffic astray.
Result<void> NetPolicy::Impl::checkPoolCollision() {
  auto addresses = listAddresses(rtnl.get());
  if (!addresses) return fail(std::move(addresses).error());
  for (const auto& a : *addresses) {
    if (a.ifname.starts_with("sp-")) continue;
    bool in4 = config.ipv4Pool.contains(a.address);
    bool in6 = config.ipv6Prefix && config.ipv6Prefix->contains(a.address);
    if (!in4 && !in6) continue;
    return failInvalid(std::string("network.") +
                       (in4 ? "ipv4_pool: '" + config.ipv4Pool.toString()
                            : "ipv6_prefix: '" + config.ipv6Prefix->toString()) +
                       "' collides with address '" + a.address.toString() + "' of interface '" +
                       a.ifname + "' on the node: choose a pool the node does not use");
  }
  return {};
}

Result<NetPolicy::Impl::Operation> NetPolicy::Impl::begin() {
  std::unique_lock<std::mutex> guard(mutex);
  auto fileLock = store.lock();
  if (!fileLock) return fail(std::move(fileLock).error());
  SPACELET_TRY(refresh());
  return Operation{std::move(guard), std::move(*fileLock)};
}

// Reloads leases and policies when another process (or a restart) changed them.
Result<void> NetPolicy::Impl::refresh() {
  auto current = store.generation();
  if (!current) return fail(std::move(current).error());
  if (*current == generation) return {};
  auto leases = store.loadLeases();
  if (!leases) return fail(std::move(leases).error());
  Ipam fresh(ipam.layout());
  for (const auto& [origin, lease] : *leases) SPACELET_TRY(fresh.restore(lease, origin));
  auto loaded = store.loadPolicies();
  if (!loaded) return fail(std::move(loaded).error());
  ipam = std::move(fresh);
  policies = std::move(*loaded);
  generation = *current;
  return {};
}

Result<void> NetPolicy::Impl::commit() {
  auto next = store.bumpGeneration();
  if (!next) return fail(std::move(next).error());
  generation = *next;
  return {};
}

const Lease* NetPolicy::Impl::findLease(std::string_view spaceId, Result<void>& error) const {
  const Lease* lease = ipam.find(spaceId);
  if (!lease) {
    error =
        fail(Error{ENOENT, "Space '" + std::string(spaceId) +
                               "' has no network (never attached, or released): attach it first"});
  }
  return lease;
}

SpaceNetwork NetPolicy::Impl::networkOf(const Lease& lease) const {
  SlotAddresses a = slotAddresses(ipam.layout(), lease.index);
  return SpaceNetwork{lease.spaceId, lease.ifname,  netnsPath(lease.ifname),
                      a.host4,       a.space4,      a.host6,
                      a.space6,      lease.appPort, resolvConf(config.resolvers)};
}

RulesetSpace NetPolicy::Impl::rulesetSpaceOf(const Lease& lease) const {
  SlotAddresses a = slotAddresses(ipam.layout(), lease.index);
  RulesetSpace s{lease.ifname, a.space4, a.space6, lease.appPort, {}, {}};
  if (auto it = policies.find(lease.ifname); it != policies.end()) {
    s.overrides = it->second.overrides;
    s.published = it->second.published;
  }
  return s;
}

std::set<IpAddress> NetPolicy::Impl::addressesOf(const Lease& lease) const {
  SlotAddresses a = slotAddresses(ipam.layout(), lease.index);
  std::set<IpAddress> out = {a.host4, a.space4};
  if (a.host6) out.insert({*a.host6, *a.space6});
  return out;
}

// The Space's lease, allocated on first use. Returns the previous app port when it changed.
Result<std::optional<uint16_t>> NetPolicy::Impl::leaseFor(const SpaceSpec& spec, Lease& out) {
  uint16_t port = spec.appPort ? spec.appPort : config.defaultAppPort;
  std::optional<uint16_t> previous;
  if (const Lease* existing = ipam.find(spec.spaceId)) {
    out = *existing;
    if (existing->appPort == port) return previous;
    previous = existing->appPort;
    ipam.setAppPort(spec.spaceId, port);
    out.appPort = port;
  } else {
    auto lease = ipam.allocate(spec.spaceId, port);
    if (!lease) return fail(std::move(lease).error());
    out = *lease;
  }
  if (auto saved = store.saveLease(out); !saved) {
    ipam.release(spec.spaceId);
    return fail(
        std::move(saved).error().withContext("save the lease of Space '" + spec.spaceId + "'"));
  }
  return previous;
}

// --- links and namespaces ----------------------------------------------------------------

Result<void> NetPolicy::Impl::ensureLinks(const Lease& lease) {
  auto index = linkIndex(rtnl.get(), lease.ifname);
  if (!index) return fail(std::move(index).error());
  return ensureLinks(lease, index->has_value());
}

Result<void> NetPolicy::Impl::ensureLinks(const Lease& lease, bool linkExists) {
  if (linkExists && isNetnsFile(netnsPath(lease.ifname))) return {};
  SPACELET_TRY(removeLinks(lease.ifname));
  return createLinks(lease);
}

Result<void> NetPolicy::Impl::createLinks(const Lease& lease) {
  NlSocket inside;
  SPACELET_TRY(createNetnsAt(netnsPath(lease.ifname), [&]() -> Result<void> {
    auto sock = openRtnl();
    if (!sock) return fail(std::move(sock).error());
    inside = std::move(*sock);
    return {};
  }));
  auto wired = wireLinks(lease, inside.get());
  if (!wired) (void)removeLinks(lease.ifname);
  return wired;
}

// The veth pair (peer created inside the Space's namespace), addresses, loopback, routes;
// done when both ends carry traffic.
//
// Every message about the node's end (a request's reply or a notification) makes the kernel
// look up the id of its peer's namespace by a linear walk over the node's namespace ids, one
// per Space. So the node's end is brought up last and never polled: its peer is up by then, so
// bringing it up turns both carriers on and activates its queue within the call, and only
// eth0, which came up while its peer was down, waits for the kernel's linkwatch work; eth0 is
// polled in the Space's namespace, which knows one other namespace. With IPv6 the node's end
// is waited for too: IPv6 readies its address once linkwatch has seen the link up.
Result<void> NetPolicy::Impl::wireLinks(const Lease& lease, nl_sock* inside) {
  SlotAddresses a = slotAddresses(ipam.layout(), lease.index);
  auto host = wireHostEnd(lease, a);
  if (!host) return fail(std::move(host).error());
  auto eth = wireSpaceEnd(a, inside);
  if (!eth) return fail(std::move(eth).error());
  if (a.space6) SPACELET_TRY(pinNeighbors6(lease, *host, *eth, inside));
  SPACELET_TRY(setLinkUp(rtnl.get(), lease.ifname));
  if (a.host6) SPACELET_TRY(waitOperUp(rtnl.get(), lease.ifname, config.linkTimeout));
  SPACELET_TRY(waitOperUp(inside, kInsideName, config.linkTimeout));
  if (a.space6) SPACELET_TRY(waitLocalAddress(inside, *a.space6, config.linkTimeout));
  return {};
}

// Creates the pair and configures the node's end, left down (see wireLinks); returns its
// interface index.
Result<int> NetPolicy::Impl::wireHostEnd(const Lease& lease, const SlotAddresses& a) {
  auto ns = openAt(AT_FDCWD, netnsPath(lease.ifname), O_RDONLY);
  if (!ns) return fail(std::move(ns).error());
  SPACELET_TRY(createVethPair(rtnl.get(), lease.ifname, ns->view(), kInsideName));
  auto host = linkIndex(rtnl.get(), lease.ifname);
  if (!host || !host->has_value()) return failErrno(ENODEV, "find link '" + lease.ifname + "'");
  // Without IPv6 the node end gets none at all: every IPv6-enabled interface adds routes
  // (fe80::/64, ff00::/8, ...) and every link change walks the node's whole IPv6 routing
  // table, which made attach grow with the number of Spaces.
  if (!a.host6) SPACELET_TRY(disableIpv6(lease.ifname));
  SPACELET_TRY(addAddress(rtnl.get(), **host, a.host4, 31, false));
  if (a.host6) SPACELET_TRY(addAddress(rtnl.get(), **host, *a.host6, 127, true));
  return **host;
}

// Configures the Space's end (eth0) and loopback; returns eth0's interface index.
Result<int> NetPolicy::Impl::wireSpaceEnd(const SlotAddresses& a, nl_sock* inside) {
  SPACELET_TRY(setLinkUp(inside, kInsideName));
  SPACELET_TRY(setLinkUp(inside, "lo"));
  auto eth = linkIndex(inside, kInsideName);
  if (!eth || !eth->has_value()) return failErrno(ENODEV, "find link 'eth0' in the Space");
  SPACELET_TRY(addAddress(inside, **eth, a.space4, 31, false));
  SPACELET_TRY(addDefaultRoute(inside, **eth, a.host4));
  if (a.space6) {
    SPACELET_TRY(addAddress(inside, **eth, *a.space6, 127, true));
    SPACELET_TRY(addDefaultRoute(inside, **eth, *a.host6));
  }
  return **eth;
}

// net.ipv6.conf.<ifname>.disable_ipv6 in the node namespace (no netlink attribute sets it).
Result<void> NetPolicy::Impl::disableIpv6(const std::string& ifname) {
  std::string path = "/proc/sys/net/ipv6/conf/" + ifname + "/disable_ipv6";
  auto written = runInNetns(nodeNetns.view(), [&] { return writeFileAt(AT_FDCWD, path, "1"); });
  if (!written && written.error().code == ENOENT) return {};  // a kernel without IPv6
  return written;
}

// Neighbour discovery over a new veth stalls while the addresses are still tentative (the
// kernel finishes even NODAD addresses in a deferred work item), and the link has exactly two
// ends whose MACs are known: both ends get permanent entries and never resolve.
Result<void> NetPolicy::Impl::pinNeighbors6(const Lease& lease, int hostIndex, int spaceIndex,
                                            nl_sock* inside) {
  SlotAddresses a = slotAddresses(ipam.layout(), lease.index);
  auto hostMac = linkMac(rtnl.get(), lease.ifname);
  if (!hostMac) return fail(std::move(hostMac).error());
  auto spaceMac = linkMac(inside, kInsideName);
  if (!spaceMac) return fail(std::move(spaceMac).error());
  SPACELET_TRY(addPermanentNeighbor(inside, spaceIndex, *a.host6, *hostMac));
  return addPermanentNeighbor(rtnl.get(), hostIndex, *a.space6, *spaceMac);
}

Result<void> NetPolicy::Impl::removeLinks(const std::string& ifname) {
  auto deleted = deleteLink(rtnl.get(), ifname);
  if (!deleted) return fail(std::move(deleted).error());
  return removeNetnsAt(netnsPath(ifname));
}

// Deleting a link whose IPv4 routes still exist makes the kernel flush the node's whole IPv4
// routing table (fib_table_flush, linear in the number of Spaces); deleting the addresses
// first removes just their routes, and with them every path from the node to the Space.
// Best effort: the link deletion removes them anyway.
void NetPolicy::Impl::releaseHostAddresses(const Lease& lease, int ifindex) {
  SlotAddresses a = slotAddresses(ipam.layout(), lease.index);
  (void)deleteAddress(rtnl.get(), ifindex, a.host4, 31);
  if (a.host6) (void)deleteAddress(rtnl.get(), ifindex, *a.host6, 127);
}

Result<bool> NetPolicy::Impl::attached(const std::string& ifname) const {
  auto index = linkIndex(rtnl.get(), ifname);
  if (!index) return fail(std::move(index).error());
  return index->has_value();
}

Result<void> NetPolicy::Impl::applyIfAttached(const Lease& lease, const nlohmann::json& document) {
  auto isAttached = attached(lease.ifname);
  if (!isAttached) return fail(std::move(isAttached).error());
  if (!*isAttached) return {};  // applied with the other elements at the next attach
  return applyToTable(document);
}

// The elements go while the node-side addresses (and so the routes to the Space) and the
// namespace file are removed. Then the conntrack entries, which nothing can recreate by then:
// the Space's traffic is dropped as unregistered, and nothing routes to it. The veth pair,
// which carries nothing any more, is set down, renamed "sp--<ifindex>" and deleted in the
// background (LinkReaper), so an attach of the same Space meanwhile finds its name free.
Result<void> NetPolicy::Impl::detachLocked(const Lease& lease) {
  Result<void> first;
  auto elements = nft.start(renderSpaceDelete(rulesetSpaceOf(lease)));
  auto index = linkIndex(rtnl.get(), lease.ifname);
  if (!index) {
    keepFirst(first, fail(std::move(index).error()));
  } else if (index->has_value()) {
    releaseHostAddresses(lease, **index);
    // Renamed (still sp-*: the guard drops anything on it, and a reconcile removes it) so
    // that an attach of the same Space need not wait for the deletion to free the name.
    // Best effort: if it fails, that attach deletes the old pair itself.
    (void)renameDownLink(rtnl.get(), **index, "sp--" + std::to_string(**index));
    reaper->remove(**index, lease.ifname);
  }
  keepFirst(first, removeNetnsAt(netnsPath(lease.ifname)));
  keepFirst(first, finishTableChange(std::move(elements)));
  std::set<IpAddress> owned = addressesOf(lease);
  keepFirst(first, deleteConntrackOf([&](const IpAddress& a) { return owned.count(a) > 0; }));
  if (!first)
    return fail(std::move(first).error().withContext("detach Space '" + lease.spaceId + "'"));
  return {};
}

Result<bool> NetPolicy::Impl::tableExists() const {
  auto output = nft.run({"-j", "list", "tables", "inet"});
  if (!output) return fail(std::move(output).error());
  try {
    const auto doc = nlohmann::json::parse(*output);
    for (const auto& entry : doc.at("nftables")) {
      if (entry.contains("table") && entry["table"].value("name", "") == kTableName) return true;
    }
  } catch (const nlohmann::json::exception& e) {
    return failInvalid(std::string("unexpected output of 'nft -j list tables': ") + e.what());
  }
  return false;
}

Result<void> NetPolicy::Impl::applyToTable(const nlohmann::json& document) const {
  return finishTableChange(nft.start(document));
}

Result<void> NetPolicy::Impl::finishTableChange(Result<NftRunner::Pending> pending) const {
  if (!pending) return fail(std::move(pending).error());
  auto applied = pending->finish();
  if (applied) return {};
  if (auto exists = tableExists(); exists && !*exists) {
    return fail(Error{ENOENT, "the nftables table 'inet " + std::string(kTableName) +
                                  "' is missing: reconcile first (spaceletd does at start; "
                                  "operators: spacelet-net reconcile --leased)"});
  }
  return fail(std::move(applied).error());
}

// Counters of every registered Space; none when the table does not exist yet.
Result<void> NetPolicy::Impl::deleteConntrackOf(
    const std::function<bool(const IpAddress&)>& owned) {
  if (!conntrackCount) {
    auto opened = runInNetns(nodeNetns.view(), [] { return openConntrackCount(); });
    if (opened) conntrackCount = std::move(*opened);
  }
  if (conntrackCount) {
    auto empty = conntrackEmpty(conntrackCount.view());
    if (empty && *empty) return {};
  }
  auto deleted = deleteConntrack(conntrack.get(), owned);
  if (!deleted) return fail(std::move(deleted).error());
  return {};
}

Result<std::map<std::string, Counters>> NetPolicy::Impl::readCounters() const {
  auto output = nft.run({"-j", "list", "table", "inet", kTableName});
  if (output) return parseCounters(*output);
  if (auto exists = tableExists(); exists && !*exists) return std::map<std::string, Counters>();
  return fail(std::move(output).error().withContext("read counters"));
}

// Links and namespace files of Spaces not in `wanted`, and conntrack entries of pool
// addresses no wanted Space holds.
Result<void> NetPolicy::Impl::removeStale(const std::set<std::string>& wanted,
                                          const std::set<std::string>& links) {
  Result<void> first;
  for (const auto& name : links) {
    if (!wanted.count(name)) keepFirst(first, removeLinks(name));
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(config.netnsDir, ec)) {
    std::string name = entry.path().filename();
    if (name.starts_with("sp-") && !wanted.count(name))
      keepFirst(first, removeNetnsAt(entry.path()));
  }
  std::set<IpAddress> keep;
  for (const auto& name : wanted) keep.merge(addressesOf(*ipam.findByIfname(name)));
  keepFirst(first, deleteConntrackOf([&](const IpAddress& a) {
              bool inPool = config.ipv4Pool.contains(a) ||
                            (config.ipv6Prefix && config.ipv6Prefix->contains(a));
              return inPool && !keep.count(a);
            }));
  return first;
}

// --- the public operations ---------------------------------------------------------------

NetPolicy::NetPolicy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NetPolicy::~NetPolicy() = default;

const Config& NetPolicy::config() const {
  return impl_->config;
}

Result<std::unique_ptr<NetPolicy>> NetPolicy::open(Config config) {
  SPACELET_TRY(validate(config));
  SPACELET_TRY(checkPrerequisites(config));
  UniqueFd ns;
  if (!config.nodeNetns.empty()) {
    auto opened = openAt(AT_FDCWD, config.nodeNetns, O_RDONLY);
    if (!opened) return fail(std::move(opened).error().withContext("open the node namespace"));
    ns = std::move(*opened);
  }
  SPACELET_TRY(prepareNetnsDir(config.netnsDir));
  auto store = StateStore::open(config.stateDir);
  if (!store) return fail(std::move(store).error());
  auto impl = std::make_unique<Impl>(std::move(config), std::move(ns), std::move(*store));
  SPACELET_TRY(impl->openSockets());
  SPACELET_TRY(impl->checkPoolCollision());
  {
    auto op = impl->begin();  // loads the leases: a broken state directory fails here
    if (!op) return fail(std::move(op).error());
  }
  return std::unique_ptr<NetPolicy>(new NetPolicy(std::move(impl)));
}

Result<SpaceNetwork> NetPolicy::attach(const SpaceSpec& spec) {
  auto op = impl_->begin();
  if (!op) return fail(std::move(op).error());
  Lease lease;
  auto previousPort = impl_->leaseFor(spec, lease);
  if (!previousPort) return fail(std::move(previousPort).error());
  std::string context = "attach Space '" + spec.spaceId + "'";
  // Elements name the interface, so they may go in while the links are made (the Space runs
  // nothing yet): nft and netlink work overlap.
  auto elements = impl_->nft.start(renderSpaceAdd(impl_->rulesetSpaceOf(lease), *previousPort));
  auto links = impl_->ensureLinks(lease);
  auto registered = impl_->finishTableChange(std::move(elements));
  if (!links) {
    if (registered) (void)impl_->applyToTable(renderSpaceDelete(impl_->rulesetSpaceOf(lease)));
    return fail(std::move(links).error().withContext(context));
  }
  if (!registered) return fail(std::move(registered).error().withContext(context));
  SPACELET_TRY(impl_->commit());
  return impl_->networkOf(lease);
}

Result<void> NetPolicy::detach(std::string_view spaceId) {
  auto op = impl_->begin();
  if (!op) return fail(std::move(op).error());
  Result<void> missing;
  const Lease* lease = impl_->findLease(spaceId, missing);
  if (!lease) return missing;
  return impl_->detachLocked(*lease);
}

Result<void> NetPolicy::release(std::string_view spaceId) {
  auto op = impl_->begin();
  if (!op) return fail(std::move(op).error());
  Result<void> missing;
  const Lease* found = impl_->findLease(spaceId, missing);
  if (!found) return missing;
  Lease lease = *found;
  SPACELET_TRY(impl_->detachLocked(lease));
  SPACELET_TRY(impl_->store.removePolicy(lease.ifname));
  SPACELET_TRY(impl_->store.removeLease(lease.ifname));
  impl_->policies.erase(lease.ifname);
  impl_->ipam.release(lease.spaceId);
  return impl_->commit();
}

Result<void> NetPolicy::settle() {
  return impl_->reaper->settle();
}

Result<Counters> NetPolicy::counters(std::string_view spaceId) {
  auto op = impl_->begin();
  if (!op) return fail(std::move(op).error());
  Result<void> missing;
  const Lease* lease = impl_->findLease(spaceId, missing);
  if (!lease) return fail(std::move(missing).error());
  auto all = impl_->readCounters();
  if (!all) return fail(std::move(all).error());
  auto it = all->find(lease->ifname);
  if (it == all->end()) {
    return fail(Error{ENOENT, "Space '" + std::string(spaceId) + "' is not attached"});
  }
  return it->second;
}

Result<std::vector<SpaceStatus>> NetPolicy::show() {
  auto op = impl_->begin();
  if (!op) return fail(std::move(op).error());
  auto all = impl_->readCounters();
  if (!all) return fail(std::move(all).error());
  std::vector<SpaceStatus> out;
  for (const auto& lease : impl_->ipam.leases()) {
    SpaceStatus status;
    status.network = impl_->networkOf(lease);
    auto it = all->find(lease.ifname);
    status.attached = it != all->end();
    if (status.attached) status.counters = it->second;
    RulesetSpace space = impl_->rulesetSpaceOf(lease);
    status.overrides = space.overrides;
    status.published = space.published;
    out.push_back(std::move(status));
  }
  return out;
}

Result<void> NetPolicy::reconcile(const std::vector<SpaceSpec>& desired, const Progress& progress) {
  auto op = impl_->begin();
  if (!op) return fail(std::move(op).error());
  // Links still being deleted would look stale; whatever failed there is removed as stale.
  (void)impl_->reaper->settle();
  std::set<std::string> wanted;
  std::vector<RulesetSpace> spaces;
  Result<void> first;
  // One listing, not one lookup per Space.
  auto links = runInNetns(impl_->nodeNetns.view(), [] { return linksWithPrefix("sp-"); });
  if (!links) return fail(std::move(links).error().withContext("reconcile"));
  std::set<std::string> existing(links->begin(), links->end());
  for (const auto& spec : desired) {
    Lease lease;
    auto leased = impl_->leaseFor(spec, lease);
    if (!leased) return fail(std::move(leased).error().withContext("reconcile"));
    if (!wanted.insert(lease.ifname).second) {
      return failInvalid("reconcile: Space '" + spec.spaceId + "' is listed twice");
    }
    keepFirst(first, impl_->ensureLinks(lease, existing.count(lease.ifname) > 0));
    spaces.push_back(impl_->rulesetSpaceOf(lease));
    if (progress) progress(spaces.size(), desired.size());
  }
  auto table = impl_->nft.apply(renderTable(impl_->params, spaces));
  if (!table) return fail(std::move(table).error().withContext("reconcile: load the table"));
  keepFirst(first, impl_->removeStale(wanted, existing));
  SPACELET_TRY(impl_->commit());
  if (!first) return fail(std::move(first).error().withContext("reconcile"));
  return {};
}

}  // namespace spacelet::netpolicy
