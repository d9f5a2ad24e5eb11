// The file copying of COPY and ADD: sources are read through fds (symlinks below a source are
// copied as links, never followed), and destinations are resolved inside the step's root
// filesystem the way the container will see them (openat2 RESOLVE_IN_ROOT), so an image's
// symlink cannot redirect a copy onto the host.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::agent::build {

struct CopyOptions {
  uid_t uid = 0;  // owner inside the container (--chown), default root
  gid_t gid = 0;
  uid_t hostShift = 0;          // added to owners: host base of the build's user namespace
  std::optional<mode_t> chmod;  // --chmod
  // Relative source paths for which this returns true are skipped (.dockerignore).
  std::function<bool(const std::string&)> skip;
};

// Opens directory `path` (absolute inside the container) below rootFd, resolving symlinks
// inside the root. With create, missing directories are made owned by the options' owner.
Result<UniqueFd> openDirInRoot(int rootFd, const std::string& path, bool create,
                               const CopyOptions& options);

// Opens `path` inside the root (RESOLVE_IN_ROOT) for reading, following a final symlink.
Result<UniqueFd> openInRoot(int rootFd, const std::string& path);

// Copies the source fd (an opened file or directory; `srcRel` names it for skip() and
// errors) to `name` in dstDirFd. A directory source merges its contents into `name`.
Result<void> copyTree(int srcFd, const std::string& srcRel, int dstDirFd, const std::string& name,
                      const CopyOptions& options);

}  // namespace spacelet::agent::build
