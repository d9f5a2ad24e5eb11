// Content-addressed blobs in OCI image-layout form: <root>/blobs/sha256/<hex>. Blobs are
// written to a temp file, hashed while written, fsynced and renamed into place, so a crash
// or a full disk never leaves a half-written blob under its digest.
// Not thread-safe; one store object per thread (the files themselves are safe to share).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/image/digest.h"
#include "agent/image/oci.h"
#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::agent::image {

// Writing one blob. commit() moves it under its digest; destroying an uncommitted writer
// removes the temp file.
class BlobWriter {
 public:
  BlobWriter(int blobsDirFd, UniqueFd fd, std::string tempName, int64_t minFreeBytes);
  ~BlobWriter();
  BlobWriter(BlobWriter&&) noexcept;
  BlobWriter& operator=(BlobWriter&&) = delete;

  // Fails with ENOSPC and a "disk full" message once the filesystem's free space would drop
  // below the store's reserve (the low watermark), before the disk is actually full.
  Result<void> write(std::string_view data);
  Result<Descriptor> commit(std::string mediaType);
  int64_t size() const { return size_; }

 private:
  Result<void> checkFreeSpace(size_t incoming);
  int blobsDirFd_;
  UniqueFd fd_;
  std::string tempName_;
  int64_t minFreeBytes_;
  Sha256 hasher_;
  int64_t size_ = 0;
  int64_t sinceCheck_ = 0;
  bool committed_ = false;
};

struct BlobInfo {
  Digest digest;
  int64_t size = 0;
  int64_t mtime = 0;  // seconds; the last time the blob was written or touched
};

class BlobStore {
 public:
  // Opens (creating when needed) the layout at `root`. minFreeBytes: writes fail cleanly
  // when they would leave less free space than this on the store's filesystem.
  static Result<BlobStore> open(const std::string& root, int64_t minFreeBytes = 0);

  Result<Descriptor> put(std::string_view data, std::string mediaType);
  Result<BlobWriter> writer();
  bool has(const Digest& digest) const;
  Result<std::string> read(const Digest& digest, int64_t maxBytes = 64 << 20) const;
  Result<UniqueFd> openBlob(const Digest& digest) const;
  std::string path(const Digest& digest) const;
  Result<void> remove(const Digest& digest);
  Result<std::vector<BlobInfo>> list() const;
  const std::string& root() const { return root_; }
  int rootFd() const { return root_fd_.get(); }

 private:
  BlobStore(std::string root, UniqueFd rootFd, UniqueFd blobsFd, int64_t minFreeBytes);
  std::string root_;
  UniqueFd root_fd_;
  UniqueFd blobs_fd_;  // <root>/blobs/sha256
  int64_t min_free_bytes_;
};

}  // namespace spacelet::agent::image
