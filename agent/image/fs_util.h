// Directory-fd helpers the image store and the builder share: walking relative paths
// without following symlinks, creating parents, and removing trees. Everything is relative
// to a directory fd so callers never hand a container-controlled string to a path syscall.
#pragma once

#include <string>
#include <utility>

#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::agent::image {

// Opens directory `rel` (normalized, relative; "" is dirfd itself) below dirfd, refusing
// symlinks in any component. With create, missing directories are made with mode 0755.
Result<UniqueFd> openDirBeneath(int dirfd, const std::string& rel, bool create);

// Splits "a/b/c" into the opened parent "a/b" and the name "c" (see openDirBeneath).
Result<std::pair<UniqueFd, std::string>> openParentBeneath(int dirfd, const std::string& rel,
                                                           bool create);

// Removes `name` below dirfd, recursing into directories; missing is fine.
Result<void> removeTreeAt(int dirfd, const std::string& name);

// Total bytes (st_blocks*512) below a directory, not crossing into other filesystems.
int64_t diskUsageAt(int dirfd);

}  // namespace spacelet::agent::image
