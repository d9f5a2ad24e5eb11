// Keeping the node's image store within its disk budget: `spacectl image prune` (dangling
// images, unreferenced blobs; with `all`, also the build cache and images no Space uses)
// and the watermark check the agent runs periodically and, failing a build that cannot fit,
// before each build.
#pragma once

#include <set>
#include <string>

#include "agent/build/build_cache.h"
#include "agent/image/image_store.h"
#include "agent/image/prune.h"

namespace spacelet::agent::build {

struct PruneRequest {
  bool all = false;                   // also build cache and images no Space uses
  std::set<std::string> imagesInUse;  // names of images deployed Spaces run
};

struct PruneReport {
  int imagesRemoved = 0;
  int cacheRecordsRemoved = 0;
  image::GcReport gc;
};

Result<PruneReport> pruneStore(image::ImageStore& store, const BuildCache& cache,
                               const PruneRequest& request);

// Above the high watermark, removes build cache records and then unused images, oldest
// first, collecting garbage after each batch, until usage is under the low mark or nothing
// removable is left. While builds or imports are writing it stops after the first batch
// without collecting (the next check does). Returns what it did (nothing when under the
// high mark). pruneStore instead waits for writers to finish before it collects.
Result<PruneReport> enforceWatermarks(image::ImageStore& store, const BuildCache& cache,
                                      const std::set<std::string>& imagesInUse,
                                      const image::Watermarks& marks);

// Before a build: enforceWatermarks, then fails with ENOSPC and a "disk full" reason when the
// store's filesystem is still above the high mark (the build would only fill it further).
Result<PruneReport> makeRoomForBuild(image::ImageStore& store, const BuildCache& cache,
                                     const std::set<std::string>& imagesInUse,
                                     const image::Watermarks& marks);

}  // namespace spacelet::agent::build
