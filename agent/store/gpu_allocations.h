// The GPUs granted to Spaces, one row per GPU (table gpu_allocations, migration 2), so that
// grants survive agent restarts. The GPU is the primary key: the database itself refuses a
// second holder. Rows go with their Space (ON DELETE CASCADE).
// Thread-safety: one thread (the event loop), like the rest of the store.
#pragma once

#include <string>
#include <vector>

#include "agent/store/sqlite.h"

namespace spacelet::agent::store {

struct GpuAllocationRow {
  std::string gpu;    // the qualified CDI name, "nvidia.com/gpu=0"
  std::string space;  // "author/name"
  int64_t grantedAtMs = 0;

  bool operator==(const GpuAllocationRow&) const = default;
};

// Every row, ordered by GPU name.
Result<std::vector<GpuAllocationRow>> loadGpuAllocations(Database& db);

// Makes `space` hold exactly `gpus` (rows it holds for other GPUs are deleted; new ones get
// grantedAtMs), in one transaction. EBUSY naming the holder when a GPU belongs to another Space.
Result<void> setGpuAllocations(Database& db, const std::string& space,
                               const std::vector<std::string>& gpus, int64_t grantedAtMs);

}  // namespace spacelet::agent::store
