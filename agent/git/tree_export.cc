// exportTree: a recursive walk over the commit's tree, writing through directory fds
// (see tree_export.h).
#include "agent/git/tree_export.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "spacelet/base/file_io.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::agent::git {
namespace {

struct Walk {
  const BareRepo& repo;
  const ExportLimits& limits;
  ExportStats stats;
};

bool isDotGit(std::string_view name) {
  if (name.size() != 4) return false;
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  return lower == ".git";
}

Result<BlobPtr> loadBlob(Walk& walk, const git_tree_entry* entry, const std::string& path) {
  git_blob* blob = nullptr;
  int rc = git_blob_lookup(&blob, walk.repo.raw(), git_tree_entry_id(entry));
  if (rc < 0) return fail(gitError(rc, "read '" + path + "'"));
  return BlobPtr(blob);
}

Result<void> countFile(Walk& walk, uint64_t size, const std::string& path) {
  walk.stats.bytes += size;
  if (++walk.stats.files > walk.limits.maxFiles) {
    return failInvalid("the commit has more than " + std::to_string(walk.limits.maxFiles) +
                       " files (at '" + path + "'); raise git.export_max_files or remove files");
  }
  if (walk.stats.bytes > walk.limits.maxBytes) {
    return failInvalid("the commit's files exceed " + std::to_string(walk.limits.maxBytes) +
                       " bytes (at '" + path + "'); raise git.export_max_bytes or use Git LFS");
  }
  return {};
}

Result<void> writeBlob(Walk& walk, int dirfd, const git_tree_entry* entry,
                       const std::string& path) {
  auto blob = loadBlob(walk, entry, path);
  if (!blob) return fail(std::move(blob).error());
  auto size = static_cast<uint64_t>(git_blob_rawsize(blob->get()));
  SPACELET_TRY(countFile(walk, size, path));
  mode_t mode = git_tree_entry_filemode(entry) == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644;
  auto fd =
      openAt(dirfd, git_tree_entry_name(entry), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  if (!fd) return fail(std::move(fd).error().withContext("export '" + path + "'"));
  std::string_view data(static_cast<const char*>(git_blob_rawcontent(blob->get())), size);
  SPACELET_TRY_CONTEXT(writeAll(fd->get(), data), "export '" + path + "'");
  // The umask must not decide whether an app file is executable.
  if (::fchmod(fd->get(), mode) != 0) return failErrno(errno, "chmod '" + path + "'");
  return {};
}

Result<void> writeLink(Walk& walk, int dirfd, const git_tree_entry* entry,
                       const std::string& path) {
  auto blob = loadBlob(walk, entry, path);
  if (!blob) return fail(std::move(blob).error());
  std::string target(static_cast<const char*>(git_blob_rawcontent(blob->get())),
                     static_cast<size_t>(git_blob_rawsize(blob->get())));
  if (target.empty() || target.find('\0') != std::string::npos) {
    return failInvalid("the symlink '" + path + "' has an empty or binary target");
  }
  SPACELET_TRY(countFile(walk, 0, path));
  if (::symlinkat(target.c_str(), dirfd, git_tree_entry_name(entry)) != 0) {
    return failErrno(errno, "export symlink '" + path + "'");
  }
  walk.stats.links++;
  return {};
}

Result<void> writeTree(Walk& walk, int dirfd, git_tree* tree, const std::string& prefix, int depth);

Result<void> writeDirectory(Walk& walk, int dirfd, const git_tree_entry* entry,
                            const std::string& path, int depth) {
  if (depth >= walk.limits.maxDepth) {
    return failInvalid("'" + path + "' is nested more than " +
                       std::to_string(walk.limits.maxDepth) + " directories deep");
  }
  const char* name = git_tree_entry_name(entry);
  if (::mkdirat(dirfd, name, 0755) != 0) return failErrno(errno, "export directory '" + path + "'");
  auto sub = openAt(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (!sub) return fail(std::move(sub).error());
  git_tree* child = nullptr;
  int rc = git_tree_lookup(&child, walk.repo.raw(), git_tree_entry_id(entry));
  if (rc < 0) return fail(gitError(rc, "read directory '" + path + "'"));
  TreePtr owned(child);
  walk.stats.directories++;
  return writeTree(walk, sub->get(), owned.get(), path + "/", depth + 1);
}

Result<void> writeEntry(Walk& walk, int dirfd, const git_tree_entry* entry,
                        const std::string& prefix, int depth) {
  std::string name = git_tree_entry_name(entry);
  std::string path = prefix + name;
  SPACELET_TRY_CONTEXT(checkEntryName(name), "the commit's path '" + path + "'");
  switch (git_tree_entry_filemode(entry)) {
    case GIT_FILEMODE_TREE:
      return writeDirectory(walk, dirfd, entry, path, depth);
    case GIT_FILEMODE_BLOB:
    case GIT_FILEMODE_BLOB_EXECUTABLE:
      return writeBlob(walk, dirfd, entry, path);
    case GIT_FILEMODE_LINK:
      return writeLink(walk, dirfd, entry, path);
    case GIT_FILEMODE_COMMIT:
      walk.stats.submodules.push_back(path);
      return {};
    default:
      return failInvalid("'" + path + "' has an unknown git file mode");
  }
}

Result<void> writeTree(Walk& walk, int dirfd, git_tree* tree, const std::string& prefix,
                       int depth) {
  size_t count = git_tree_entrycount(tree);
  for (size_t i = 0; i < count; ++i) {
    SPACELET_TRY(writeEntry(walk, dirfd, git_tree_entry_byindex(tree, i), prefix, depth));
  }
  return {};
}

}  // namespace

Result<void> checkEntryName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") {
    return failInvalid("'" + std::string(name) + "' is not a valid file name");
  }
  if (name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return failInvalid("a file name contains '/' or NUL");
  }
  if (isDotGit(name)) return failInvalid("a '.git' entry cannot be exported");
  return {};
}

Result<ExportStats> exportTree(const BareRepo& repo, std::string_view sha, const std::string& dest,
                               const ExportLimits& limits) {
  auto tree = repo.tree(sha);
  if (!tree) return fail(std::move(tree).error());
  if (::mkdir(dest.c_str(), 0755) != 0) return failErrno(errno, "create '" + dest + "'");
  auto dirfd = openAt(AT_FDCWD, dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (!dirfd) return fail(std::move(dirfd).error());
  Walk walk{repo, limits, {}};
  auto written = writeTree(walk, dirfd->get(), tree->get(), "", 0);
  if (!written) {
    return fail(std::move(written).error().withContext("export commit '" + std::string(sha) + "'"));
  }
  return walk.stats;
}

}  // namespace spacelet::agent::git
