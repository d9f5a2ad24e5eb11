// Each Space's host id range: the uids and gids its user namespace maps to (DESIGN decision
// 8), so that no two Spaces share a host uid. Ranges are handed out lowest-free-first from a
// configurable base and remembered in a JSON file, so a Space keeps its range (and the
// ownership of its files) across agent restarts. Allocation is pure; load/save are thin.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "agent/image/rootfs_mount.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::supervisor {

struct IdRangePolicy {
  uint32_t base = 1u << 20;   // the first Space's first host id
  uint32_t size = 65536;      // ids per Space
  uint32_t maxRanges = 4096;  // base + size * maxRanges must stay below 2^32
};

class IdRanges {
 public:
  explicit IdRanges(IdRangePolicy policy = {}) : policy_(policy) {}
  static Result<IdRanges> load(const std::string& path, IdRangePolicy policy);
  Result<void> save(const std::string& path) const;

  // The Space's range, assigning the lowest free one on first use.
  Result<image::IdRange> assign(const std::string& spaceId);
  void release(const std::string& spaceId) { slots_.erase(spaceId); }
  size_t size() const { return slots_.size(); }

 private:
  image::IdRange rangeOf(uint32_t slot) const;
  IdRangePolicy policy_;
  std::map<std::string, uint32_t> slots_;  // Space id -> slot index
};

}  // namespace spacelet::agent::supervisor
