// `spacectl image import`: an OCI layout directory, an oci-archive tar, a docker-archive tar
// (`docker save`), or a plain rootfs tarball, into the image store. Archives are unpacked
// with the same checks as layers (no escapes, no devices, size limits); every blob copied in
// is hashed and must match the digest its manifest names.
#pragma once

#include <functional>
#include <string>
#include <string_view>
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

// Called with a line per step: unpacking an archive, each layer copied in ("layer 2/5
// sha256:0123456789ab 12.3 MiB"), packing a rootfs.
using ImportProgress = std::function<void(std::string_view line)>;

// Imports `path`. `name` names the image (required for a rootfs tarball; for the other
// formats it overrides the names the archive carries when it holds a single image).
Result<ImportResult> importImage(ImageStore& store, const std::string& path,
                                 const std::string& name, const ImportProgress& progress = {});

}  // namespace spacelet::agent::image
