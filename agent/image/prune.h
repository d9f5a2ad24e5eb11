// Cleaning the image store: garbage collection of blobs and unpacked layers no image (and no
// build cache record) refers to, and the disk watermarks: above the high mark, old build
// cache and images no Space uses are removed, oldest first, until usage is under the low
// mark. The ordering and the arithmetic are pure and unit-tested.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "agent/image/image_store.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::image {

// Fractions of the store filesystem's size (agent config: images.watermarks.high/low).
struct Watermarks {
  double high = 0.90;
  double low = 0.80;
};

struct DiskUsage {
  int64_t totalBytes = 0;
  int64_t availableBytes = 0;
};

Result<DiskUsage> diskUsage(const std::string& path);

// Bytes to free to get from `usage` down to the low mark; 0 when under the high mark.
int64_t bytesOverWatermark(const DiskUsage& usage, const Watermarks& marks);

struct PruneCandidate {
  enum class Kind { kBuildCache, kImage };
  Kind kind;
  std::string id;        // cache key or image name
  int64_t lastUsed = 0;  // unix seconds
};

// The order in which candidates go: build cache before images, oldest first within each.
std::vector<PruneCandidate> pruneOrder(std::vector<PruneCandidate> candidates);

struct GcReport {
  int blobsRemoved = 0;
  int layersRemoved = 0;  // unpacked layer directories
  int64_t bytesFreed = 0;
};

// Removes every blob not reachable from a named or unnamed image in index.json nor listed
// in extraRoots (layers the build cache refers to), the unpacked form of removed layers,
// and temp files older than an hour (interrupted writes). The caller holds
// store.lockCollector(), so no build or import is writing blobs meanwhile.
Result<GcReport> collectGarbage(ImageStore& store, const std::set<Digest>& extraRoots);

}  // namespace spacelet::agent::image
