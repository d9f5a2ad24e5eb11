// Links, addresses and routes through libnl's route library (no `ip` child): the veth pair of
// a Space, its addresses and default route, loopback, and link listing for reconcile.
// A socket belongs to the network namespace it was opened in (open it through runInNetns).
// libnl sockets are not thread-safe; NetPolicy serializes their use.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"
#include "spacelet/netpolicy/address.h"

struct nl_sock;

namespace spacelet::netpolicy {

struct NlSocketDeleter {
  void operator()(nl_sock* sock) const;
};
// An owned libnl socket; its fd is close-on-exec.
using NlSocket = std::unique_ptr<nl_sock, NlSocketDeleter>;

// Converts a libnl error (a negative NLE_* code) to an Error with an errno-like code.
Error nlError(int nlErr, const std::string& what);

// A NETLINK_ROUTE socket in the calling thread's network namespace.
Result<NlSocket> openRtnl();

// Creates the veth pair `hostName` (here) / `peerName` (created directly inside `peerNetns`),
// both down, so that they can be configured before they carry anything. EEXIST when
// `hostName` exists.
Result<void> createVethPair(nl_sock* sock, const std::string& hostName, FdView peerNetns,
                            const std::string& peerName);
// The interface index of `name`, or nullopt when there is no such link. A netdevice ioctl on
// the socket (its namespace): unlike RTM_GETLINK it does not compute the veth peer's
// namespace id, a linear search in the kernel that grows with the number of Spaces.
Result<std::optional<int>> linkIndex(nl_sock* sock, const std::string& name);
// Sets the link up, by netdevice ioctls on the socket: no RTM_GETLINK (see linkIndex).
Result<void> setLinkUp(nl_sock* sock, const std::string& name);
// Waits until the link's operational state is UP, polling with RTM_GETLINK (use it where the
// link's peer namespace is the only other one its namespace knows). A veth end brought up
// while its peer is down carries nothing until the kernel's linkwatch work has activated its
// queue (asynchronously, later under load). ETIMEDOUT past `timeout`.
Result<void> waitOperUp(nl_sock* sock, const std::string& name, std::chrono::milliseconds timeout);
// Deletes a link (with a veth, its peer too). Returns false when there was no such link.
Result<bool> deleteLink(nl_sock* sock, const std::string& name);
// The same by interface index: an index is not reused for a new link (the kernel allocates
// them cyclically), so a later link of the same name is never hit.
Result<bool> deleteLinkAt(nl_sock* sock, int ifindex);
// Sets the link with this index down and renames it `newName`, freeing its name at once (a
// deletion frees it only after the kernel's RCU grace periods). Returns false when there was
// no such link.
Result<bool> renameDownLink(nl_sock* sock, int ifindex, const std::string& newName);
// Names of the links whose name starts with `prefix`, from /proc/net/dev of the calling
// thread's namespace: a netlink link dump computes every veth's peer namespace id by a
// linear search, which is quadratic with thousands of Spaces.
Result<std::vector<std::string>> linksWithPrefix(const std::string& prefix);
// The interface names listed in /proc/net/dev text (pure; exposed for tests).
std::vector<std::string> parseProcNetDev(std::string_view text);

// Adds address/prefixLength to the link; `nodad` skips IPv6 duplicate address detection, so
// the address is usable at once (see ip-address(8), IFA_F_NODAD).
Result<void> addAddress(nl_sock* sock, int ifindex, const IpAddress& address, int prefixLength,
                        bool nodad);
// Removes address/prefixLength from the link (ENOENT-like errors when it is not there).
Result<void> deleteAddress(nl_sock* sock, int ifindex, const IpAddress& address, int prefixLength);
// The default route of the address's family via `gateway` on `ifindex`.
Result<void> addDefaultRoute(nl_sock* sock, int ifindex, const IpAddress& gateway);

// The Ethernet (MAC) address of `name`, by a netdevice ioctl (no RTM_GETLINK).
Result<std::vector<uint8_t>> linkMac(nl_sock* sock, const std::string& name);
// A permanent neighbour entry: `address` is at `mac` on `ifindex`, with no resolution.
Result<void> addPermanentNeighbor(nl_sock* sock, int ifindex, const IpAddress& address,
                                  const std::vector<uint8_t>& mac);
// Waits until packets to `address` are delivered locally. The kernel routes a new NODAD IPv6
// address locally only once its addrconf work has run (asynchronously, later under load);
// until then the address sends but drops what it receives. One route lookup per try.
Result<void> waitLocalAddress(nl_sock* sock, const IpAddress& address,
                              std::chrono::milliseconds timeout);

struct LinkAddress {
  std::string ifname;
  IpAddress address;
};
// Every address of the socket's namespace with its interface name (one address dump).
Result<std::vector<LinkAddress>> listAddresses(nl_sock* sock);

}  // namespace spacelet::netpolicy
