// Packs a directory in overlayfs upper-dir form (a build step's changes) into an OCI layer
// blob: a tar in sorted order with overlay whiteouts turned back into '.wh.' entries, gzip-
// compressed into the blob store. The diff id (sha256 of the uncompressed tar) is computed
// in the same pass.
#pragma once

#include <cstdint>
#include <string>

#include "agent/image/blob_store.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::image {

struct PackOptions {
  // Owners in the directory are host ids of a user namespace starting at idShift; they are
  // stored relative to it (host idShift+1000 becomes 1000). Ids outside [idShift,
  // idShift+idCount) are refused.
  int64_t idShift = 0;
  int64_t idCount = int64_t{1} << 32;
  int gzipLevel = 1;  // 0 stores an uncompressed tar; builds favour speed
  // The most file data the layer may hold (the unpack limit, so that what is packed can be
  // unpacked); packing stops with an error naming the file that crosses it.
  int64_t maxBytes = int64_t{32} << 30;
};

struct PackedLayer {
  Descriptor blob;  // the stored (compressed) layer
  Digest diffId;    // sha256 of the uncompressed tar
  int64_t entries = 0;
};

// Reads `dirFd` (borrowed) recursively, never following symlinks.
Result<PackedLayer> packLayer(int dirFd, BlobStore& store, const PackOptions& options);

}  // namespace spacelet::agent::image
