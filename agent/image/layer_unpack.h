// Unpacks one OCI layer (tar, plain or gzip or zstd) into its own directory, in the form
// overlayfs takes as a lower layer: '.wh.NAME' becomes a whiteout (char device 0/0) and
// '.wh..wh..opq' the trusted.overlay.opaque xattr. Every entry is checked by planEntry()
// first; the error names the entry. All writes go through directory fds, never following
// symlinks, so a layer cannot write outside its directory.
#pragma once

#include <cstdint>

#include "agent/image/layer_entry.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::image {

struct UnpackOptions {
  UnpackLimits limits;
  // Keep the owners recorded in the layer (needs root). Off for unprivileged callers.
  bool preserveOwnership = true;
  // Added to every owner (ADD of a tar inside a user-namespaced build: the build's host base).
  int64_t idShift = 0;
};

struct UnpackStats {
  int64_t entries = 0;
  int64_t bytes = 0;  // file content written
};

// Reads the layer from `inputFd` (borrowed, read to its end) into `destDirFd` (borrowed,
// an empty directory). Whiteouts need CAP_MKNOD and opaque directories CAP_SYS_ADMIN.
// On error the directory holds a partial result: the caller removes it.
Result<UnpackStats> unpackLayer(int inputFd, int destDirFd, const UnpackOptions& options);

}  // namespace spacelet::agent::image
