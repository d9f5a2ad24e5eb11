// The node's image store: an OCI image layout (blobs + index.json naming each image) under
// the state directory, plus the unpacked form of each layer that overlayfs mounts as a
// shared, read-only lower directory. Index updates take an flock, so several builds (threads
// or processes) can commit at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/image/blob_store.h"
#include "agent/image/layer_unpack.h"
#include "agent/image/oci.h"
#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::agent::image {

struct StoreOptions {
  std::string root;          // e.g. /var/lib/spacelet/images
  int64_t minFreeBytes = 0;  // writes refuse to go below this much free space
  UnpackOptions unpack;
};

// A stored image, fully resolved.
struct Image {
  std::string name;  // "" when looked up by digest only
  Descriptor manifestBlob;
  Manifest manifest;
  ImageConfig config;
};

struct ImageRecord {
  std::string name;
  Descriptor manifestBlob;
  int64_t created = 0;  // unix seconds the name was (re)pointed
};

// "busybox" -> "busybox:latest"; refuses characters outside [A-Za-z0-9._/:@-].
Result<std::string> normalizeImageName(const std::string& name);

class ImageStore {
 public:
  static Result<ImageStore> open(const StoreOptions& options);

  BlobStore& blobs() { return blobs_; }
  const BlobStore& blobs() const { return blobs_; }
  const StoreOptions& options() const { return options_; }

  // Writes the config and manifest blobs for layers already in the store and names the
  // image `name` (replacing what the name pointed to). An empty name stores it unnamed.
  Result<Image> commit(const std::string& name, const ImageConfig& config,
                       const std::vector<Descriptor>& layers);
  // Names an existing manifest.
  Result<void> tag(const std::string& name, const Descriptor& manifestBlob);
  // By name ("busybox", "x:tag") or by manifest digest ("sha256:...").
  Result<Image> get(const std::string& ref) const;
  Result<std::vector<ImageRecord>> list() const;
  // Removes the name; blobs stay until prune.
  Result<void> remove(const std::string& name);

  // The directory with this layer unpacked, unpacking it from its blob on first use. The
  // directory is keyed by the blob digest (verified when the blob was stored), so one image
  // cannot poison another image's lower layer by lying about a diff id.
  Result<std::string> unpackedLayer(const Descriptor& layer);
  // The lower directories of an image, bottom layer first (unpacking as needed).
  Result<std::vector<std::string>> lowerDirs(const Image& image);
  std::string unpackedRoot() const { return options_.root + "/unpacked"; }

  // Writers (builds, imports) hold the shared lock while they store blobs that no image
  // names yet; garbage collection holds it exclusively, so it never removes such a blob.
  // flock(2) locks belong to the open file, so threads of one process exclude each other
  // too. With wait false, the exclusive lock fails with EBUSY while a writer holds it.
  Result<UniqueFd> lockWriters() const;
  Result<UniqueFd> lockCollector(bool wait) const;

 private:
  ImageStore(StoreOptions options, BlobStore blobs);
  Result<void> writeIndex(const std::vector<ImageRecord>& records);
  Result<std::vector<ImageRecord>> readIndex() const;
  Result<Image> load(const std::string& name, const Descriptor& manifestBlob) const;

  StoreOptions options_;
  BlobStore blobs_;
};

}  // namespace spacelet::agent::image
