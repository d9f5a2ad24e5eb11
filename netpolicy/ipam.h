// IP address management for Spaces: each Space leases one slot index of the pools, which
// gives it a /31 of the IPv4 pool (host end even, Space end odd) and, when IPv6 is on, the
// /127 with the same index in the IPv6 prefix. Pure in-memory bookkeeping; state_store.h
// persists the leases. Not thread-safe: NetPolicy serializes access.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "spacelet/base/error.h"
#include "spacelet/netpolicy/address.h"

namespace spacelet::netpolicy {

struct PoolLayout {
  Prefix ipv4;
  std::optional<Prefix> ipv6;
  // How many Spaces fit: the /31 slots of the IPv4 pool, or fewer /127s of the IPv6 prefix.
  uint64_t capacity() const;
};

struct SlotAddresses {
  IpAddress host4;
  IpAddress space4;
  std::optional<IpAddress> host6;
  std::optional<IpAddress> space6;
};
SlotAddresses slotAddresses(const PoolLayout& layout, uint32_t index);

// One Space's lease: its slot index and what the ruleset needs to remove it again.
struct Lease {
  std::string spaceId;
  std::string ifname;
  uint32_t index = 0;
  uint16_t appPort = 0;
  bool operator==(const Lease&) const = default;
};

class Ipam {
 public:
  explicit Ipam(PoolLayout layout) : layout_(std::move(layout)) {}

  const PoolLayout& layout() const { return layout_; }
  // Adds a lease read back from the state directory. `origin` (a file name) is quoted in the
  // errors: an index outside the pool, an index or interface name already leased.
  Result<void> restore(const Lease& lease, const std::string& origin);
  // A new lease at the lowest free index. Errors: the pool is exhausted, or the Space's
  // interface name is already leased to another Space (a hash collision).
  Result<Lease> allocate(const std::string& spaceId, uint16_t appPort);
  // Changes the app port of an existing lease.
  void setAppPort(const std::string& spaceId, uint16_t appPort);
  void release(std::string_view spaceId);

  const Lease* find(std::string_view spaceId) const;
  const Lease* findByIfname(std::string_view ifname) const;
  std::vector<Lease> leases() const;  // sorted by Space id
  size_t size() const { return bySpace_.size(); }

 private:
  PoolLayout layout_;
  std::map<std::string, Lease, std::less<>> bySpace_;
  std::map<std::string, std::string, std::less<>> spaceByIfname_;
  std::set<uint32_t> used_;
  uint32_t lowestMaybeFree_ = 0;  // every index below it is leased
};

}  // namespace spacelet::netpolicy
