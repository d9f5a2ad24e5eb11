// Deleting the conntrack entries of removed Spaces over netlink (NFNL conntrack, through
// libnl-nf), so a later Space given the same address never inherits an old connection's
// state or NAT mapping. The socket belongs to the namespace it was opened in.
#pragma once

#include <functional>

#include "rtnl.h"
#include "spacelet/base/error.h"
#include "spacelet/netpolicy/address.h"

namespace spacelet::netpolicy {

// A NETLINK_NETFILTER socket in the calling thread's network namespace.
Result<NlSocket> openConntrack();

// The namespace's conntrack entry count (/proc/sys/net/netfilter/nf_conntrack_count, opened
// in the calling thread's namespace; the open file keeps reading that namespace's count).
// ENOENT until conntrack is in use there.
Result<UniqueFd> openConntrackCount();
// True when the namespace has no conntrack entry at all. Dumping the table walks every bucket
// of the kernel's global conntrack hash (262 144 on a 24 GiB node, ~10 ms), so an empty
// table is worth knowing first.
Result<bool> conntrackEmpty(FdView countFile);

// Deletes every entry whose original source, original destination or reply source is an
// address `owned` accepts (egress, connections from the node, and DNATed connections to a
// Space). One dump of the table, then one delete per match; returns how many were deleted.
Result<size_t> deleteConntrack(nl_sock* sock, const std::function<bool(const IpAddress&)>& owned);

}  // namespace spacelet::netpolicy
