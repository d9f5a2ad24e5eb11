// Exports a commit's tree into a fresh directory: regular files (with their executable bit),
// symlinks (as links, never followed) and directories, without .git. Every write goes through
// directory fds with O_NOFOLLOW, and names a crafted tree could use to escape ('..', '/',
// '.git') are refused, so a hostile commit cannot write outside the destination.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/git/bare_repo.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::git {

// Limits on one export (agent config git.export_max_bytes / git.export_max_files).
struct ExportLimits {
  uint64_t maxBytes = uint64_t{8} << 30;
  uint64_t maxFiles = 200000;
  int maxDepth = 128;
};

struct ExportStats {
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t links = 0;
  uint64_t directories = 0;
  std::vector<std::string> submodules;  // gitlinks are not fetched; their paths are listed
};

// Whether one tree entry name is safe to create in a directory. Pure; exposed for tests.
Result<void> checkEntryName(std::string_view name);

// Creates `dest` (its parent must exist; dest must not) and writes the tree of `sha` into it.
// On error the partial directory is left for the caller to remove.
Result<ExportStats> exportTree(const BareRepo& repo, std::string_view sha, const std::string& dest,
                               const ExportLimits& limits = {});

}  // namespace spacelet::agent::git
