// Slot allocation and address arithmetic of the Space pools (see ipam.h).
#include "ipam.h"

#include <algorithm>

#include "spacelet/netpolicy/net_policy.h"

namespace spacelet::netpolicy {

uint64_t PoolLayout::capacity() const {
  uint64_t slots = ipv4.size() / 2;
  if (ipv6) slots = std::min(slots, ipv6->size() / 2);
  // Slot indices are 32-bit; no IPv4 pool comes near that.
  return std::min<uint64_t>(slots, UINT32_MAX);
}

SlotAddresses slotAddresses(const PoolLayout& layout, uint32_t index) {
  SlotAddresses a;
  a.host4 = layout.ipv4.address.plus(uint64_t{index} * 2);
  a.space4 = a.host4.plus(1);
  if (layout.ipv6) {
    a.host6 = layout.ipv6->address.plus(uint64_t{index} * 2);
    a.space6 = a.host6->plus(1);
  }
  return a;
}

Result<void> Ipam::restore(const Lease& lease, const std::string& origin) {
  if (lease.index >= layout_.capacity()) {
    return failInvalid("lease '" + origin + "' has slot " + std::to_string(lease.index) +
                       ", outside the pool '" + layout_.ipv4.toString() +
                       "' (was the pool shrunk?): restore the pool or release Space '" +
                       lease.spaceId + "'");
  }
  if (const Lease* other = findByIfname(lease.ifname); other || find(lease.spaceId)) {
    return failInvalid("lease '" + origin + "' for Space '" + lease.spaceId +
                       "' collides with the lease of Space '" +
                       (other ? other->spaceId : lease.spaceId) +
                       "' (same interface name or Space): remove one of the two files");
  }
  if (used_.count(lease.index)) {
    return failInvalid("lease '" + origin + "' for Space '" + lease.spaceId + "' claims slot " +
                       std::to_string(lease.index) +
                       ", already leased to another Space: remove one of the two leases");
  }
  used_.insert(lease.index);
  spaceByIfname_[lease.ifname] = lease.spaceId;
  bySpace_[lease.spaceId] = lease;
  return {};
}

Result<Lease> Ipam::allocate(const std::string& spaceId, uint16_t appPort) {
  std::string ifname = interfaceName(spaceId);
  if (find(spaceId)) return failInvalid("Space '" + spaceId + "' already has a lease");
  if (const Lease* other = findByIfname(ifname)) {
    return failInvalid("Space '" + spaceId + "' and Space '" + other->spaceId +
                       "' share the interface name '" + ifname +
                       "' (a hash collision): rename one of them");
  }
  while (used_.count(lowestMaybeFree_)) ++lowestMaybeFree_;
  if (lowestMaybeFree_ >= layout_.capacity()) {
    return fail(Error{ENOSPC, "the Space address pool '" + layout_.ipv4.toString() +
                                  "' is exhausted: all " + std::to_string(layout_.capacity()) +
                                  " slots are leased; enlarge 'ipv4_pool' (and 'ipv6_prefix') "
                                  "or release unused Spaces"});
  }
  Lease lease{spaceId, ifname, lowestMaybeFree_, appPort};
  used_.insert(lease.index);
  spaceByIfname_[ifname] = spaceId;
  bySpace_[spaceId] = lease;
  return lease;
}

void Ipam::setAppPort(const std::string& spaceId, uint16_t appPort) {
  auto it = bySpace_.find(spaceId);
  if (it != bySpace_.end()) it->second.appPort = appPort;
}

void Ipam::release(std::string_view spaceId) {
  auto it = bySpace_.find(spaceId);
  if (it == bySpace_.end()) return;
  used_.erase(it->second.index);
  lowestMaybeFree_ = std::min(lowestMaybeFree_, it->second.index);
  spaceByIfname_.erase(it->second.ifname);
  bySpace_.erase(it);
}

const Lease* Ipam::find(std::string_view spaceId) const {
  auto it = bySpace_.find(spaceId);
  return it == bySpace_.end() ? nullptr : &it->second;
}

const Lease* Ipam::findByIfname(std::string_view ifname) const {
  auto it = spaceByIfname_.find(ifname);
  return it == spaceByIfname_.end() ? nullptr : find(it->second);
}

std::vector<Lease> Ipam::leases() const {
  std::vector<Lease> out;
  out.reserve(bySpace_.size());
  for (const auto& [_, lease] : bySpace_) out.push_back(lease);
  return out;
}

}  // namespace spacelet::netpolicy
