// libnl route calls for the Space networks (see rtnl.h). Every libnl object is held by a
// unique_ptr with its put function, so an early error return leaks nothing.
#include "rtnl.h"

// glibc's net/if.h first: linux/if.h then defers to it (the other order redefines IFF_*).
#include <net/if.h>

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_ether.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "spacelet/base/file_io.h"

namespace spacelet::netpolicy {
namespace {

struct LinkPut {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct AddrPut {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct NlAddrPut {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct NeighPut {
  void operator()(rtnl_neigh* n) const { rtnl_neigh_put(n); }
};
struct RoutePut {
  void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
struct CacheFree {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};
using Link = std::unique_ptr<rtnl_link, LinkPut>;
using Addr = std::unique_ptr<rtnl_addr, AddrPut>;
using NlAddr = std::unique_ptr<nl_addr, NlAddrPut>;
using Route = std::unique_ptr<rtnl_route, RoutePut>;
using Cache = std::unique_ptr<nl_cache, CacheFree>;

int errnoOf(int nlErr) {
  switch (nlErr < 0 ? -nlErr : nlErr) {
    case NLE_EXIST:
      return EEXIST;
    case NLE_NODEV:
    case NLE_OBJ_NOTFOUND:
      return ENODEV;
    case NLE_PERM:
      return EPERM;
    case NLE_NOACCESS:
      return EACCES;
    case NLE_OPNOTSUPP:
      return EOPNOTSUPP;
    case NLE_NOMEM:
      return ENOMEM;
    case NLE_BUSY:
      return EBUSY;
    case NLE_INVAL:
      return EINVAL;
    case NLE_AF_NOSUPPORT:
      return EAFNOSUPPORT;
    default:
      return EIO;
  }
}

NlAddr toNlAddr(const IpAddress& a, int prefixLength) {
  NlAddr out(nl_addr_build(a.isV4() ? AF_INET : AF_INET6, a.bytes.data(), a.isV4() ? 4 : 16));
  if (out) nl_addr_set_prefixlen(out.get(), prefixLength);
  return out;
}

// A netdevice ioctl request naming `name` (see netdevice(7)).
Result<struct ifreq> interfaceRequest(const std::string& name) {
  if (name.size() >= IFNAMSIZ) return failInvalid("interface name '" + name + "' is too long");
  struct ifreq ifr {};
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  return ifr;
}

Result<Link> getLink(nl_sock* sock, const std::string& name) {
  rtnl_link* raw = nullptr;
  int err = rtnl_link_get_kernel(sock, 0, name.c_str(), &raw);
  if (err < 0) return fail(nlError(err, "look up link '" + name + "'"));
  return Link(raw);
}

}  // namespace

void NlSocketDeleter::operator()(nl_sock* sock) const {
  nl_socket_free(sock);
}

Error nlError(int nlErr, const std::string& what) {
  return Error{errnoOf(nlErr), what + ": " + nl_geterror(nlErr)};
}

Result<NlSocket> openRtnl() {
  NlSocket sock(nl_socket_alloc());
  if (!sock) return failErrno(ENOMEM, "allocate a netlink socket");
  int err = nl_connect(sock.get(), NETLINK_ROUTE);  // libnl opens it SOCK_CLOEXEC
  if (err < 0) return fail(nlError(err, "connect a NETLINK_ROUTE socket"));
  return sock;
}

Result<void> createVethPair(nl_sock* sock, const std::string& hostName, FdView peerNetns,
                            const std::string& peerName) {
  Link link(rtnl_link_veth_alloc());
  if (!link) return failErrno(ENOMEM, "allocate a veth link");
  rtnl_link_set_name(link.get(), hostName.c_str());
  // The peer is owned by `link`; get_peer takes a reference we give back.
  Link peer(rtnl_link_veth_get_peer(link.get()));
  rtnl_link_set_name(peer.get(), peerName.c_str());
  // Not IFF_UP: the kernel refuses to open the peer while creating the pair (ENOTCONN).
  rtnl_link_set_ns_fd(peer.get(), peerNetns.get());
  int err = rtnl_link_add(sock, link.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err < 0) return fail(nlError(err, "create veth pair '" + hostName + "'/'" + peerName + "'"));
  return {};
}

Result<std::optional<int>> linkIndex(nl_sock* sock, const std::string& name) {
  auto ifr = interfaceRequest(name);
  if (!ifr) return fail(std::move(ifr).error());
  if (::ioctl(nl_socket_get_fd(sock), SIOCGIFINDEX, &*ifr) != 0) {
    if (errno == ENODEV) return std::optional<int>();
    return failErrno(errno, "look up link '" + name + "'");
  }
  return std::optional<int>(ifr->ifr_ifindex);
}

Result<void> setLinkUp(nl_sock* sock, const std::string& name) {
  auto ifr = interfaceRequest(name);
  if (!ifr) return fail(std::move(ifr).error());
  int fd = nl_socket_get_fd(sock);
  if (::ioctl(fd, SIOCGIFFLAGS, &*ifr) != 0) return failErrno(errno, "look up link '" + name + "'");
  ifr->ifr_flags = static_cast<short>(ifr->ifr_flags | IFF_UP);
  if (::ioctl(fd, SIOCSIFFLAGS, &*ifr) != 0) return failErrno(errno, "set link '" + name + "' up");
  return {};
}

Result<void> waitOperUp(nl_sock* sock, const std::string& name, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto link = getLink(sock, name);
    if (!link) return fail(std::move(link).error());
    if (rtnl_link_get_operstate(link->get()) == IF_OPER_UP) return {};
    if (std::chrono::steady_clock::now() > deadline) {
      return fail(Error{ETIMEDOUT, "link '" + name + "' is not up after " +
                                       std::to_string(timeout.count()) + " ms"});
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

namespace {

Result<bool> deleteMatching(nl_sock* sock, const Link& link, const std::string& what) {
  int err = rtnl_link_delete(sock, link.get());
  if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND) return false;
  if (err < 0) return fail(nlError(err, "delete link " + what));
  return true;
}

}  // namespace

Result<bool> deleteLink(nl_sock* sock, const std::string& name) {
  Link link(rtnl_link_alloc());
  if (!link) return failErrno(ENOMEM, "allocate a link");
  rtnl_link_set_name(link.get(), name.c_str());
  return deleteMatching(sock, link, "'" + name + "'");
}

Result<bool> deleteLinkAt(nl_sock* sock, int ifindex) {
  Link link(rtnl_link_alloc());
  if (!link) return failErrno(ENOMEM, "allocate a link");
  rtnl_link_set_ifindex(link.get(), ifindex);
  return deleteMatching(sock, link, "with index " + std::to_string(ifindex));
}

Result<bool> renameDownLink(nl_sock* sock, int ifindex, const std::string& newName) {
  Link link(rtnl_link_alloc());
  Link down(rtnl_link_alloc());
  Link renamed(rtnl_link_alloc());
  if (!link || !down || !renamed) return failErrno(ENOMEM, "allocate a link");
  rtnl_link_set_ifindex(link.get(), ifindex);
  rtnl_link_unset_flags(down.get(), IFF_UP);
  rtnl_link_set_name(renamed.get(), newName.c_str());
  std::string what = "link with index " + std::to_string(ifindex);
  // Two messages: the kernel renames before it applies flags, and refuses to rename a link
  // that is up.
  for (auto [change, verb] : {std::pair{&down, "set down"}, std::pair{&renamed, "rename"}}) {
    int err = rtnl_link_change(sock, link.get(), change->get(), 0);
    if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND) return false;
    if (err < 0) return fail(nlError(err, std::string(verb) + " " + what));
  }
  return true;
}

std::vector<std::string> parseProcNetDev(std::string_view text) {
  // Two header lines, then "  name: counters..." per interface.
  std::vector<std::string> names;
  size_t lineNo = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (lineNo++ < 2) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    name.remove_prefix(std::min(name.find_first_not_of(' '), name.size()));
    if (!name.empty()) names.emplace_back(name);
  }
  return names;
}

Result<std::vector<std::string>> linksWithPrefix(const std::string& prefix) {
  auto text = readFileAt(AT_FDCWD, "/proc/thread-self/net/dev");
  if (!text) return fail(std::move(text).error().withContext("list links"));
  std::vector<std::string> names;
  for (auto& name : parseProcNetDev(*text)) {
    if (name.starts_with(prefix)) names.push_back(std::move(name));
  }
  return names;
}

Result<void> addAddress(nl_sock* sock, int ifindex, const IpAddress& address, int prefixLength,
                        bool nodad) {
  Addr addr(rtnl_addr_alloc());
  NlAddr local = toNlAddr(address, prefixLength);
  if (!addr || !local) return failErrno(ENOMEM, "allocate an address");
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_family(addr.get(), address.isV4() ? AF_INET : AF_INET6);
  rtnl_addr_set_local(addr.get(), local.get());
  rtnl_addr_set_prefixlen(addr.get(), prefixLength);
  if (nodad) rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
  int err = rtnl_addr_add(sock, addr.get(), 0);
  if (err < 0) {
    return fail(nlError(
        err, "add address '" + address.toString() + "/" + std::to_string(prefixLength) + "'"));
  }
  return {};
}

Result<void> deleteAddress(nl_sock* sock, int ifindex, const IpAddress& address, int prefixLength) {
  Addr addr(rtnl_addr_alloc());
  NlAddr local = toNlAddr(address, prefixLength);
  if (!addr || !local) return failErrno(ENOMEM, "allocate an address");
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_family(addr.get(), address.isV4() ? AF_INET : AF_INET6);
  rtnl_addr_set_local(addr.get(), local.get());
  rtnl_addr_set_prefixlen(addr.get(), prefixLength);
  int err = rtnl_addr_delete(sock, addr.get(), 0);
  if (err < 0) {
    return fail(nlError(
        err, "delete address '" + address.toString() + "/" + std::to_string(prefixLength) + "'"));
  }
  return {};
}

Result<void> addDefaultRoute(nl_sock* sock, int ifindex, const IpAddress& gateway) {
  int family = gateway.isV4() ? AF_INET : AF_INET6;
  Route route(rtnl_route_alloc());
  NlAddr dst = toNlAddr(IpAddress{gateway.family, {}}, 0);
  NlAddr gw = toNlAddr(gateway, gateway.bitLength());
  rtnl_nexthop* hop = rtnl_route_nh_alloc();
  if (!route || !dst || !gw || !hop) {
    if (hop) rtnl_route_nh_free(hop);
    return failErrno(ENOMEM, "allocate a route");
  }
  rtnl_route_set_family(route.get(), family);
  rtnl_route_set_dst(route.get(), dst.get());
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(route.get(), RTPROT_STATIC);
  rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
  rtnl_route_nh_set_ifindex(hop, ifindex);
  rtnl_route_nh_set_gateway(hop, gw.get());
  rtnl_route_add_nexthop(route.get(), hop);  // the route owns the hop from here
  int err = rtnl_route_add(sock, route.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err < 0) return fail(nlError(err, "add default route via '" + gateway.toString() + "'"));
  return {};
}

Result<std::vector<uint8_t>> linkMac(nl_sock* sock, const std::string& name) {
  auto ifr = interfaceRequest(name);
  if (!ifr) return fail(std::move(ifr).error());
  if (::ioctl(nl_socket_get_fd(sock), SIOCGIFHWADDR, &*ifr) != 0) {
    return failErrno(errno, "read the link-layer address of '" + name + "'");
  }
  auto* bytes = reinterpret_cast<const uint8_t*>(ifr->ifr_hwaddr.sa_data);
  return std::vector<uint8_t>(bytes, bytes + ETH_ALEN);
}

Result<void> addPermanentNeighbor(nl_sock* sock, int ifindex, const IpAddress& address,
                                  const std::vector<uint8_t>& mac) {
  std::unique_ptr<rtnl_neigh, NeighPut> neigh(rtnl_neigh_alloc());
  NlAddr dst = toNlAddr(address, address.bitLength());
  NlAddr lladdr(nl_addr_build(AF_LLC, mac.data(), mac.size()));
  if (!neigh || !dst || !lladdr) return failErrno(ENOMEM, "allocate a neighbour entry");
  rtnl_neigh_set_ifindex(neigh.get(), ifindex);
  rtnl_neigh_set_family(neigh.get(), address.isV4() ? AF_INET : AF_INET6);
  rtnl_neigh_set_dst(neigh.get(), dst.get());
  rtnl_neigh_set_lladdr(neigh.get(), lladdr.get());
  rtnl_neigh_set_state(neigh.get(), NUD_PERMANENT);
  int err = rtnl_neigh_add(sock, neigh.get(), NLM_F_CREATE | NLM_F_REPLACE);
  if (err < 0) return fail(nlError(err, "add neighbour '" + address.toString() + "'"));
  return {};
}

Result<void> waitLocalAddress(nl_sock* sock, const IpAddress& address,
                              std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  NlAddr dst = toNlAddr(address, address.bitLength());
  if (!dst) return failErrno(ENOMEM, "allocate an address");
  for (;;) {
    rtnl_route* raw = nullptr;
    int err = rtnl_route_lookup(sock, dst.get(), &raw);
    Route route(raw);
    if (err >= 0 && route && rtnl_route_get_type(route.get()) == RTN_LOCAL) return {};
    if (std::chrono::steady_clock::now() > deadline) {
      return fail(Error{ETIMEDOUT, "address '" + address.toString() + "' is not local after " +
                                       std::to_string(timeout.count()) + " ms"});
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

Result<std::vector<LinkAddress>> listAddresses(nl_sock* sock) {
  nl_cache* raw = nullptr;
  int err = rtnl_addr_alloc_cache(sock, &raw);
  if (err < 0) return fail(nlError(err, "list addresses"));
  Cache addrs(raw);
  std::vector<LinkAddress> out;
  for (nl_object* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    nl_addr* local = rtnl_addr_get_local(a);
    if (!local) continue;
    IpAddress ip;
    ip.family = nl_addr_get_family(local) == AF_INET ? Family::kIpv4 : Family::kIpv6;
    unsigned len = std::min<unsigned>(nl_addr_get_len(local), 16);
    std::memcpy(ip.bytes.data(), nl_addr_get_binary_addr(local), len);
    struct ifreq ifr {};
    ifr.ifr_ifindex = rtnl_addr_get_ifindex(a);
    if (::ioctl(nl_socket_get_fd(sock), SIOCGIFNAME, &ifr) != 0) continue;  // gone meanwhile
    out.push_back({ifr.ifr_name, ip});
  }
  return out;
}

}  // namespace spacelet::netpolicy
