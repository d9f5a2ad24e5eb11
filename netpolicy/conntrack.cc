// Conntrack deletion by address through libnl-nf (see conntrack.h). The kernel cannot filter
// a flush by address on every kernel we support, so the table is dumped and matched here.
#include "conntrack.h"

#include <fcntl.h>
#include <netlink/errno.h>
#include <netlink/netfilter/ct.h>
#include <netlink/netfilter/nfnl.h>
#include <netlink/netlink.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "spacelet/base/file_io.h"

namespace spacelet::netpolicy {
namespace {

struct CacheFree {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};

bool toIp(const nl_addr* a, IpAddress& out) {
  if (!a) return false;
  int family = nl_addr_get_family(a);
  if (family != AF_INET && family != AF_INET6) return false;
  out = IpAddress{family == AF_INET ? Family::kIpv4 : Family::kIpv6, {}};
  std::memcpy(out.bytes.data(), nl_addr_get_binary_addr(a),
              std::min<unsigned>(nl_addr_get_len(a), 16));
  return true;
}

bool matches(const nfnl_ct* ct, const std::function<bool(const IpAddress&)>& owned) {
  IpAddress ip;
  if (toIp(nfnl_ct_get_src(ct, 0), ip) && owned(ip)) return true;
  if (toIp(nfnl_ct_get_dst(ct, 0), ip) && owned(ip)) return true;
  return toIp(nfnl_ct_get_src(ct, 1), ip) && owned(ip);
}

}  // namespace

Result<NlSocket> openConntrack() {
  NlSocket sock(nl_socket_alloc());
  if (!sock) return failErrno(ENOMEM, "allocate a netlink socket");
  int err = nfnl_connect(sock.get());
  if (err < 0) return fail(nlError(err, "connect a NETLINK_NETFILTER socket"));
  return sock;
}

Result<UniqueFd> openConntrackCount() {
  return openAt(AT_FDCWD, "/proc/sys/net/netfilter/nf_conntrack_count", O_RDONLY);
}

Result<bool> conntrackEmpty(FdView countFile) {
  char buf[32] = {};
  ssize_t n = ::pread(countFile.get(), buf, sizeof buf - 1, 0);
  if (n < 0) return failErrno(errno, "read nf_conntrack_count");
  return std::strtoull(buf, nullptr, 10) == 0;
}

Result<size_t> deleteConntrack(nl_sock* sock, const std::function<bool(const IpAddress&)>& owned) {
  nl_cache* raw = nullptr;
  int err = nfnl_ct_alloc_cache(sock, &raw);
  if (err < 0) return fail(nlError(err, "dump the conntrack table"));
  std::unique_ptr<nl_cache, CacheFree> cache(raw);
  size_t deleted = 0;
  for (nl_object* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o)) {
    auto* ct = reinterpret_cast<nfnl_ct*>(o);
    if (!matches(ct, owned)) continue;
    err = nfnl_ct_del(sock, ct, 0);
    // ENOENT: the entry expired between the dump and the delete.
    if (err < 0 && err != -NLE_OBJ_NOTFOUND) return fail(nlError(err, "delete a conntrack entry"));
    if (err >= 0) ++deleted;
  }
  return deleted;
}

}  // namespace spacelet::netpolicy
