// The content-addressed blob store (see blob_store.h).
#include "agent/image/blob_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <memory>

#include "spacelet/base/file_io.h"

namespace spacelet::agent::image {
namespace {

// How often (in bytes written) a writer re-checks free space: statvfs per write would cost
// more than the write on small blobs.
constexpr int64_t kFreeSpaceCheckInterval = 8 << 20;

Result<void> mkdirAt(int dirfd, const std::string& name) {
  if (::mkdirat(dirfd, name.c_str(), 0755) != 0 && errno != EEXIST) {
    return failErrno(errno, "create directory '" + name + "'");
  }
  return {};
}

std::string tempBlobName() {
  static std::atomic<unsigned> counter{0};
  return ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

std::string humanBytes(int64_t bytes) {
  return std::to_string(bytes >> 20) + " MiB";
}

}  // namespace

BlobWriter::BlobWriter(int blobsDirFd, UniqueFd fd, std::string tempName, int64_t minFreeBytes)
    : blobsDirFd_(blobsDirFd),
      fd_(std::move(fd)),
      tempName_(std::move(tempName)),
      minFreeBytes_(minFreeBytes) {}

BlobWriter::BlobWriter(BlobWriter&& o) noexcept
    : blobsDirFd_(o.blobsDirFd_),
      fd_(std::move(o.fd_)),
      tempName_(std::move(o.tempName_)),
      minFreeBytes_(o.minFreeBytes_),
      hasher_(std::move(o.hasher_)),
      size_(o.size_),
      sinceCheck_(o.sinceCheck_),
      committed_(o.committed_) {
  o.committed_ = true;  // the moved-from writer owns nothing to clean up
}

BlobWriter::~BlobWriter() {
  if (!committed_ && !tempName_.empty()) ::unlinkat(blobsDirFd_, tempName_.c_str(), 0);
}

Result<void> BlobWriter::checkFreeSpace(size_t incoming) {
  sinceCheck_ += static_cast<int64_t>(incoming);
  if (minFreeBytes_ <= 0 || (sinceCheck_ < kFreeSpaceCheckInterval && size_ > 0)) return {};
  sinceCheck_ = 0;
  struct statvfs vfs {};
  if (::fstatvfs(fd_.get(), &vfs) != 0) return failErrno(errno, "statvfs of the blob store");
  int64_t free = static_cast<int64_t>(vfs.f_bavail) * static_cast<int64_t>(vfs.f_frsize);
  if (free - static_cast<int64_t>(incoming) < minFreeBytes_) {
    return fail(Error{ENOSPC, "disk full: " + humanBytes(free) +
                                  " free on the image store, below the reserve of " +
                                  humanBytes(minFreeBytes_) +
                                  " (free space with 'spacectl image prune' or lower the "
                                  "low watermark)"});
  }
  return {};
}

Result<void> BlobWriter::write(std::string_view data) {
  SPACELET_TRY(checkFreeSpace(data.size()));
  auto written = writeAll(fd_.get(), data);
  if (!written) {
    if (written.error().code == ENOSPC) {
      return fail(Error{ENOSPC, "disk full while writing a blob to the image store"});
    }
    return written;
  }
  hasher_.update(data);
  size_ += static_cast<int64_t>(data.size());
  return {};
}

Result<Descriptor> BlobWriter::commit(std::string mediaType) {
  if (::fsync(fd_.get()) != 0) return failErrno(errno, "fsync blob");
  Descriptor d{std::move(mediaType), hasher_.finish(), size_, {}};
  if (::renameat(blobsDirFd_, tempName_.c_str(), blobsDirFd_, d.digest.hex().c_str()) != 0) {
    return failErrno(errno, "store blob '" + d.digest.str() + "'");
  }
  committed_ = true;
  ::fsync(blobsDirFd_);
  return d;
}

BlobStore::BlobStore(std::string root, UniqueFd rootFd, UniqueFd blobsFd, int64_t minFreeBytes)
    : root_(std::move(root)),
      root_fd_(std::move(rootFd)),
      blobs_fd_(std::move(blobsFd)),
      min_free_bytes_(minFreeBytes) {}

Result<BlobStore> BlobStore::open(const std::string& root, int64_t minFreeBytes) {
  if (::mkdir(root.c_str(), 0755) != 0 && errno != EEXIST) {
    return failErrno(errno, "create image store '" + root + "'");
  }
  auto rootFd = openAt(AT_FDCWD, root, O_DIRECTORY | O_RDONLY);
  if (!rootFd) return fail(std::move(rootFd).error());
  SPACELET_TRY(mkdirAt(rootFd->get(), "blobs"));
  SPACELET_TRY(mkdirAt(rootFd->get(), "blobs/sha256"));
  auto blobsFd = openAt(rootFd->get(), "blobs/sha256", O_DIRECTORY | O_RDONLY);
  if (!blobsFd) return fail(std::move(blobsFd).error());
  if (::faccessat(rootFd->get(), "oci-layout", F_OK, 0) != 0) {
    SPACELET_TRY(
        writeFileAtomicAt(rootFd->get(), "oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  }
  return BlobStore(root, std::move(*rootFd), std::move(*blobsFd), minFreeBytes);
}

Result<BlobWriter> BlobStore::writer() {
  std::string name = tempBlobName();
  auto fd = openAt(blobs_fd_.get(), name, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (!fd) return fail(std::move(fd).error().withContext("image store"));
  return BlobWriter(blobs_fd_.get(), std::move(*fd), name, min_free_bytes_);
}

Result<Descriptor> BlobStore::put(std::string_view data, std::string mediaType) {
  auto w = writer();
  if (!w) return fail(std::move(w).error());
  SPACELET_TRY(w->write(data));
  return w->commit(std::move(mediaType));
}

bool BlobStore::has(const Digest& digest) const {
  return ::faccessat(blobs_fd_.get(), digest.hex().c_str(), F_OK, 0) == 0;
}

std::string BlobStore::path(const Digest& digest) const {
  return root_ + "/blobs/sha256/" + digest.hex();
}

Result<UniqueFd> BlobStore::openBlob(const Digest& digest) const {
  auto fd = openAt(blobs_fd_.get(), digest.hex(), O_RDONLY);
  if (!fd) return fail(std::move(fd).error().withContext("blob '" + digest.str() + "'"));
  return fd;
}

Result<std::string> BlobStore::read(const Digest& digest, int64_t maxBytes) const {
  auto fd = openBlob(digest);
  if (!fd) return fail(std::move(fd).error());
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return failErrno(errno, "stat blob '" + digest.str() + "'");
  if (st.st_size > maxBytes) {
    return failInvalid("blob '" + digest.str() + "' is " + std::to_string(st.st_size) +
                       " bytes, more than the " + std::to_string(maxBytes) + " allowed here");
  }
  auto data = readAll(fd->get());
  if (!data) return fail(std::move(data).error().withContext("blob '" + digest.str() + "'"));
  if (sha256Of(*data) != digest) {
    return fail(Error{EIO, "blob '" + digest.str() +
                               "' is corrupt (its content has another "
                               "digest); remove it and import or build the image again"});
  }
  return data;
}

Result<void> BlobStore::remove(const Digest& digest) {
  if (::unlinkat(blobs_fd_.get(), digest.hex().c_str(), 0) != 0 && errno != ENOENT) {
    return failErrno(errno, "remove blob '" + digest.str() + "'");
  }
  return {};
}

Result<std::vector<BlobInfo>> BlobStore::list() const {
  auto fd = blobs_fd_.dup();
  if (!fd) return fail(std::move(fd).error());
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd->release()), ::closedir);
  if (!dir) return failErrno(errno, "list blobs");
  ::rewinddir(dir.get());
  std::vector<BlobInfo> out;
  while (struct dirent* e = ::readdir(dir.get())) {
    auto digest = Digest::parse(std::string("sha256:") + e->d_name);
    if (!digest) continue;  // temp files and anything else that is not a blob
    struct stat st {};
    if (::fstatat(blobs_fd_.get(), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    out.push_back({*digest, st.st_size, st.st_mtime});
  }
  return out;
}

}  // namespace spacelet::agent::image
