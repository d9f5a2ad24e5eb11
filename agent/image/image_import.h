// `spacectl image import`: an OCI layout directory, an oci-archive tar, a docker-archive tar
// (`docker save`), or a plain rootfs tarball, into the image store. Archives are unpacked
// with the same checks as layers (no escapes, no devices, size limits); every blob copied in
// is hashed and must match the digest its manifest names.
#pragma once

#include <string>
#include <vector>

#include "agent/image/image_store.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::image {

enum class ImportFormat { kOciLayout, kOciArchive, kDockerArchive, kRootfsTar };

const char* formatName(ImportFormat format);

struct ImportResult {
  ImportFormat format;
  std::vector<Image> images;
};

// Imports `path`. `name` names the image (required for a rootfs tarball; for the other
// formats it overrides the names the archive carries when it holds a single image).
Result<ImportResult> importImage(ImageStore& store, const std::string& path,
                                 const std::string& name);

}  // namespace spacelet::agent::image
