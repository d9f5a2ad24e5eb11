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

// Deletes every entry whose original source, original destination or reply source is an
// address `owned` accepts (egress, connections from the node, and DNATed connections to a
// Space). One dump of the table, then one delete per match; returns how many were deleted.
Result<size_t> deleteConntrack(nl_sock* sock, const std::function<bool(const IpAddress&)>& owned);

}  // namespace spacelet::netpolicy
