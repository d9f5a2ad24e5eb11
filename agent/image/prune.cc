// Garbage collection and watermarks (see prune.h).
#include "agent/image/prune.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <memory>

#include "agent/image/fs_util.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::image {
namespace {

constexpr int64_t kStaleTempSeconds = 3600;

Result<void> addReachable(const ImageStore& store, const Descriptor& manifestBlob,
                          std::set<Digest>& live) {
  live.insert(manifestBlob.digest);
  auto text = store.blobs().read(manifestBlob.digest);
  if (!text) return fail(std::move(text).error());
  auto manifest = parseManifest(*text);
  if (!manifest) return fail(std::move(manifest).error());
  live.insert(manifest->config.digest);
  for (const auto& l : manifest->layers) live.insert(l.digest);
  return {};
}

void removeStaleTemps(int dirFd, int64_t now) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(::fcntl(dirFd, F_DUPFD_CLOEXEC, 0)),
                                          ::closedir);
  if (!dir) return;
  while (struct dirent* e = ::readdir(dir.get())) {
    std::string name = e->d_name;
    struct stat st {};
    if (!name.starts_with(".tmp-") || ::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      continue;
    if (now - st.st_mtime > kStaleTempSeconds) (void)removeTreeAt(dirFd, name);
  }
}

}  // namespace

Result<DiskUsage> diskUsage(const std::string& path) {
  struct statvfs vfs {};
  if (::statvfs(path.c_str(), &vfs) != 0) return failErrno(errno, "statvfs '" + path + "'");
  return DiskUsage{static_cast<int64_t>(vfs.f_blocks) * static_cast<int64_t>(vfs.f_frsize),
                   static_cast<int64_t>(vfs.f_bavail) * static_cast<int64_t>(vfs.f_frsize)};
}

int64_t bytesOverWatermark(const DiskUsage& usage, const Watermarks& marks) {
  if (usage.totalBytes <= 0) return 0;
  int64_t used = usage.totalBytes - usage.availableBytes;
  if (static_cast<double>(used) < marks.high * static_cast<double>(usage.totalBytes)) return 0;
  auto target = static_cast<int64_t>(marks.low * static_cast<double>(usage.totalBytes));
  return std::max<int64_t>(0, used - target);
}

std::vector<PruneCandidate> pruneOrder(std::vector<PruneCandidate> candidates) {
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const PruneCandidate& a, const PruneCandidate& b) {
                     if (a.kind != b.kind) return a.kind == PruneCandidate::Kind::kBuildCache;
                     return a.lastUsed < b.lastUsed;
                   });
  return candidates;
}

Result<GcReport> collectGarbage(ImageStore& store, const std::set<Digest>& extraRoots) {
  std::set<Digest> live = extraRoots;
  auto records = store.list();
  if (!records) return fail(std::move(records).error());
  for (const auto& r : *records) SPACELET_TRY(addReachable(store, r.manifestBlob, live));
  auto blobs = store.blobs().list();
  if (!blobs) return fail(std::move(blobs).error());
  GcReport report;
  auto unpacked = openAt(AT_FDCWD, store.unpackedRoot(), O_RDONLY | O_DIRECTORY);
  if (!unpacked) return fail(std::move(unpacked).error());
  for (const auto& blob : *blobs) {
    if (live.contains(blob.digest)) continue;
    SPACELET_TRY(store.blobs().remove(blob.digest));
    ++report.blobsRemoved;
    report.bytesFreed += blob.size;
    struct stat st {};
    if (::fstatat(unpacked->get(), blob.digest.hex().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      auto dir = openAt(unpacked->get(), blob.digest.hex(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      if (dir) report.bytesFreed += diskUsageAt(dir->get());
      SPACELET_TRY(removeTreeAt(unpacked->get(), blob.digest.hex()));
      ++report.layersRemoved;
    }
  }
  int64_t now = ::time(nullptr);
  auto blobsDir = openAt(store.blobs().rootFd(), "blobs/sha256", O_RDONLY | O_DIRECTORY);
  if (blobsDir) removeStaleTemps(blobsDir->get(), now);
  removeStaleTemps(unpacked->get(), now);
  return report;
}

}  // namespace spacelet::agent::image
