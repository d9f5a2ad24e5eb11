// Store pruning and watermarks (see store_maintenance.h).
#include "agent/build/store_maintenance.h"

#include <cmath>

namespace spacelet::agent::build {
namespace {

constexpr size_t kWatermarkBatch = 8;  // candidates removed between two usage checks

Result<std::set<image::Digest>> cacheRoots(const BuildCache& cache) {
  auto records = cache.list();
  if (!records) return fail(std::move(records).error());
  std::set<image::Digest> roots;
  for (const auto& r : *records) {
    if (!r.layer.empty()) roots.insert(r.layer);
  }
  return roots;
}

Result<std::vector<image::PruneCandidate>> candidates(image::ImageStore& store,
                                                      const BuildCache& cache,
                                                      const std::set<std::string>& inUse) {
  std::vector<image::PruneCandidate> out;
  auto records = cache.list();
  if (!records) return fail(std::move(records).error());
  for (const auto& r : *records)
    out.push_back({image::PruneCandidate::Kind::kBuildCache, r.key, r.lastUsed});
  auto images = store.list();
  if (!images) return fail(std::move(images).error());
  for (const auto& i : *images) {
    std::string id = i.name.empty() ? i.manifestBlob.digest.str() : i.name;
    if (!inUse.contains(i.name))
      out.push_back({image::PruneCandidate::Kind::kImage, id, i.created});
  }
  return image::pruneOrder(std::move(out));
}

Result<void> removeCandidate(image::ImageStore& store, const BuildCache& cache,
                             const image::PruneCandidate& c, PruneReport& report) {
  if (c.kind == image::PruneCandidate::Kind::kBuildCache) {
    SPACELET_TRY(cache.remove(c.id));
    ++report.cacheRecordsRemoved;
    return {};
  }
  SPACELET_TRY(store.remove(c.id));
  ++report.imagesRemoved;
  return {};
}

// Collects garbage under the collector lock. Without `wait`, returns false (collecting
// nothing) while builds or imports are writing.
Result<bool> collect(image::ImageStore& store, const BuildCache& cache, PruneReport& report,
                     bool wait) {
  auto lock = store.lockCollector(wait);
  if (!lock) {
    if (!wait && lock.error().code == EBUSY) return false;
    return fail(std::move(lock).error());
  }
  auto roots = cacheRoots(cache);
  if (!roots) return fail(std::move(roots).error());
  auto gc = image::collectGarbage(store, *roots);
  if (!gc) return fail(std::move(gc).error());
  report.gc.blobsRemoved += gc->blobsRemoved;
  report.gc.layersRemoved += gc->layersRemoved;
  report.gc.bytesFreed += gc->bytesFreed;
  return true;
}

}  // namespace

Result<PruneReport> pruneStore(image::ImageStore& store, const BuildCache& cache,
                               const PruneRequest& request) {
  PruneReport report;
  auto images = store.list();
  if (!images) return fail(std::move(images).error());
  for (const auto& i : *images) {
    if (i.name.empty()) {  // dangling: a build's intermediate or an untagged import
      SPACELET_TRY(store.remove(i.manifestBlob.digest.str()));
      ++report.imagesRemoved;
    }
  }
  if (request.all) {
    auto list = candidates(store, cache, request.imagesInUse);
    if (!list) return fail(std::move(list).error());
    for (const auto& c : *list) SPACELET_TRY(removeCandidate(store, cache, c, report));
  }
  auto collected = collect(store, cache, report, true);
  if (!collected) return fail(std::move(collected).error());
  return report;
}

Result<PruneReport> enforceWatermarks(image::ImageStore& store, const BuildCache& cache,
                                      const std::set<std::string>& imagesInUse,
                                      const image::Watermarks& marks) {
  PruneReport report;
  auto usage = image::diskUsage(store.options().root);
  if (!usage) return fail(std::move(usage).error());
  if (image::bytesOverWatermark(*usage, marks) == 0) return report;
  auto list = candidates(store, cache, imagesInUse);
  if (!list) return fail(std::move(list).error());
  for (size_t i = 0; i < list->size(); i += kWatermarkBatch) {
    for (size_t j = i; j < std::min(list->size(), i + kWatermarkBatch); ++j) {
      SPACELET_TRY(removeCandidate(store, cache, (*list)[j], report));
    }
    auto collected = collect(store, cache, report, false);
    if (!collected) return fail(std::move(collected).error());
    if (!*collected) break;  // writers are busy: the next check collects
    usage = image::diskUsage(store.options().root);
    if (!usage) return fail(std::move(usage).error());
    if (image::bytesOverWatermark(*usage, {marks.low, marks.low}) == 0) break;
  }
  return report;
}

Result<PruneReport> makeRoomForBuild(image::ImageStore& store, const BuildCache& cache,
                                     const std::set<std::string>& imagesInUse,
                                     const image::Watermarks& marks) {
  auto report = enforceWatermarks(store, cache, imagesInUse, marks);
  if (!report) return fail(std::move(report).error());
  auto usage = image::diskUsage(store.options().root);
  if (!usage) return fail(std::move(usage).error());
  if (image::bytesOverWatermark(*usage, {marks.high, marks.high}) == 0) return report;
  auto percent = [](double fraction) { return std::to_string(std::lround(fraction * 100)); };
  double used = 1.0 - static_cast<double>(usage->availableBytes) /
                          static_cast<double>(std::max<int64_t>(usage->totalBytes, 1));
  return fail(Error{ENOSPC, "disk full: the image store's filesystem is " + percent(used) +
                                "% used, above the high watermark of " + percent(marks.high) +
                                "% (builds.disk_high_watermark) after pruning the build cache "
                                "and unused images; free space on it or remove images "
                                "(spacectl image ls, image rm, image prune --all)"});
}

}  // namespace spacelet::agent::build
