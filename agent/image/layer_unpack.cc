// Layer extraction with libarchive (see layer_unpack.h).
#include "agent/image/layer_unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "agent/image/fs_util.h"

namespace spacelet::agent::image {
namespace {

// libarchive's message for its last error; it may have none (NULL), found by the layer fuzzer.
std::string archiveError(archive* a) {
  const char* message = archive_error_string(a);
  return message ? message : "unknown libarchive error";
}

struct ArchiveReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchiveReader = std::unique_ptr<archive, ArchiveReadFree>;

constexpr size_t kReadBlock = 128 << 10;

EntryType entryType(archive_entry* e) {
  if (archive_entry_hardlink(e)) return EntryType::kHardlink;
  switch (archive_entry_filetype(e)) {
    case AE_IFDIR:
      return EntryType::kDirectory;
    case AE_IFLNK:
      return EntryType::kSymlink;
    case AE_IFIFO:
      return EntryType::kFifo;
    case AE_IFCHR:
      return EntryType::kCharDevice;
    case AE_IFBLK:
      return EntryType::kBlockDevice;
    case AE_IFSOCK:
      return EntryType::kSocket;
    default:
      return EntryType::kFile;
  }
}

Result<EntryInfo> entryInfo(archive_entry* e) {
  const char* path = archive_entry_pathname(e);
  if (!path) return failInvalid("layer entry with an unreadable path name");
  EntryInfo info;
  info.path = path;
  info.type = entryType(e);
  const char* link =
      info.type == EntryType::kHardlink ? archive_entry_hardlink(e) : archive_entry_symlink(e);
  if (link) info.linkTarget = link;
  info.size = info.type == EntryType::kFile ? archive_entry_size(e) : 0;
  info.mode = archive_entry_perm(e) & 07777;
  info.uid = archive_entry_uid(e);
  info.gid = archive_entry_gid(e);
  info.mtime = archive_entry_mtime(e);
  return info;
}

Result<ArchiveReader> openReader(int fd) {
  ArchiveReader a(archive_read_new());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_fd(a.get(), fd, kReadBlock) != ARCHIVE_OK) {
    return failInvalid(std::string("layer is not a tar archive: ") + archiveError(a.get()));
  }
  return a;
}

// Later entries replace earlier ones at the same path (tar semantics); a directory that is
// recreated as a directory keeps its content.
Result<void> clearPath(int parentFd, const std::string& name, bool keepDirectory) {
  struct stat st {};
  if (::fstatat(parentFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return {};
  if (keepDirectory && S_ISDIR(st.st_mode)) return {};
  return removeTreeAt(parentFd, name);
}

Result<void> writeFileData(archive* a, int fd, int64_t size) {
  const void* buf = nullptr;
  size_t len = 0;
  la_int64_t offset = 0;
  int rc;
  while ((rc = archive_read_data_block(a, &buf, &len, &offset)) == ARCHIVE_OK) {
    const char* p = static_cast<const char*>(buf);
    while (len > 0) {
      ssize_t n = ::pwrite(fd, p, len, offset);
      if (n < 0) {
        int err = errno;
        if (err == EINTR) continue;
        if (err == ENOSPC) {
          return fail(Error{ENOSPC,
                            "disk full: no room left for the unpacked files (free space with "
                            "'spacectl image prune')"});
        }
        return failErrno(err, "write");
      }
      p += n;
      offset += n;
      len -= static_cast<size_t>(n);
    }
  }
  if (rc != ARCHIVE_EOF) return failInvalid(std::string("read: ") + archiveError(a));
  if (::ftruncate(fd, size) != 0) return failErrno(errno, "truncate");  // sparse tails
  return {};
}

// Only capability and user xattrs are kept: trusted.* (overlay's own) and security labels
// from an image must not reach the host's view of the layer.
void applyXattrs(archive_entry* e, int parentFd, const std::string& name, EntryType type) {
  if (type == EntryType::kSymlink || archive_entry_xattr_reset(e) == 0) return;
  const char* key = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  auto fd = ::openat(parentFd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return;
  while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
    std::string k = key;
    if (k == "security.capability" || k.starts_with("user.")) {
      ::fsetxattr(fd, key, value, size, 0);
    }
  }
  ::close(fd);
}

Result<void> applyMetadata(const EntryInfo& info, int parentFd, const std::string& name,
                           const UnpackOptions& options) {
  if (options.preserveOwnership &&
      ::fchownat(parentFd, name.c_str(), static_cast<uid_t>(info.uid + options.idShift),
                 static_cast<gid_t>(info.gid + options.idShift), AT_SYMLINK_NOFOLLOW) != 0) {
    return failErrno(errno, "chown");
  }
  // chown clears setuid bits, so the mode is set after it. Symlinks have no mode.
  if (info.type != EntryType::kSymlink && ::fchmodat(parentFd, name.c_str(), info.mode, 0) != 0) {
    return failErrno(errno, "chmod");
  }
  struct timespec times[2] = {{info.mtime, 0}, {info.mtime, 0}};
  ::utimensat(parentFd, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
  return {};
}

Result<void> createEntry(archive* a, const EntryInfo& info, const EntryPlan& plan, int rootFd,
                         int parentFd, const std::string& name) {
  switch (info.type) {
    case EntryType::kDirectory:
      if (::mkdirat(parentFd, name.c_str(), 0755) != 0 && errno != EEXIST) {
        return failErrno(errno, "mkdir");
      }
      return {};
    case EntryType::kSymlink:
      if (::symlinkat(info.linkTarget.c_str(), parentFd, name.c_str()) != 0) {
        return failErrno(errno, "symlink");
      }
      return {};
    case EntryType::kHardlink: {
      auto target = openParentBeneath(rootFd, plan.linkTarget, false);
      if (!target) return fail(std::move(target).error().withContext("hard link target"));
      if (::linkat(target->first.get(), target->second.c_str(), parentFd, name.c_str(), 0) != 0) {
        return failErrno(errno, "hard link to '" + plan.linkTarget + "'");
      }
      return {};
    }
    case EntryType::kFifo:
      if (::mknodat(parentFd, name.c_str(), S_IFIFO | 0600, 0) != 0)
        return failErrno(errno, "mkfifo");
      return {};
    default: {
      int fd = ::openat(parentFd, name.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0) return failErrno(errno, "create");
      UniqueFd file(fd);
      return writeFileData(a, file.get(), info.size);
    }
  }
}

Result<void> applyWhiteout(const EntryPlan& plan, int parentFd, const std::string& name) {
  if (plan.action == EntryAction::kOpaqueDir) {
    auto dir = openDirBeneath(parentFd, name, true);
    if (!dir) return fail(std::move(dir).error());
    if (::fsetxattr(dir->get(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
      return failErrno(errno, "mark directory opaque (needs CAP_SYS_ADMIN)");
    }
    return {};
  }
  SPACELET_TRY(clearPath(parentFd, name, false));
  if (::mknodat(parentFd, name.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) {
    return failErrno(errno, "create whiteout (needs CAP_MKNOD)");
  }
  return {};
}

Result<void> applyEntry(archive* a, archive_entry* e, const EntryInfo& info, const EntryPlan& plan,
                        int rootFd, const UnpackOptions& options) {
  if (plan.action == EntryAction::kOpaqueDir && plan.path.empty()) {
    if (::fsetxattr(rootFd, "trusted.overlay.opaque", "y", 1, 0) != 0) {
      return failErrno(errno, "mark the layer root opaque");
    }
    return {};
  }
  auto parent = openParentBeneath(rootFd, plan.path, true);
  if (!parent) return fail(std::move(parent).error());
  auto& [parentFd, name] = *parent;
  if (plan.action != EntryAction::kCreate) return applyWhiteout(plan, parentFd.get(), name);
  SPACELET_TRY(clearPath(parentFd.get(), name, info.type == EntryType::kDirectory));
  SPACELET_TRY(createEntry(a, info, plan, rootFd, parentFd.get(), name));
  if (info.type == EntryType::kHardlink) return {};  // shares the target's inode and metadata
  SPACELET_TRY(applyMetadata(info, parentFd.get(), name, options));
  applyXattrs(e, parentFd.get(), name, info.type);
  return {};
}

}  // namespace

Result<UnpackStats> unpackLayer(int inputFd, int destDirFd, const UnpackOptions& options) {
  auto reader = openReader(inputFd);
  if (!reader) return fail(std::move(reader).error());
  archive* a = reader->get();
  UnpackStats stats;
  archive_entry* e = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
    auto info = entryInfo(e);
    if (!info) return fail(std::move(info).error());
    if (++stats.entries > options.limits.maxEntries) {
      return failInvalid("layer has more than " + std::to_string(options.limits.maxEntries) +
                         " entries (builds.max_layer_entries)");
    }
    auto plan = planEntry(*info, options.limits, stats.bytes);
    if (!plan) return fail(std::move(plan).error());
    if (plan->action == EntryAction::kSkip) continue;
    auto applied = applyEntry(a, e, *info, *plan, destDirFd, options);
    if (!applied)
      return fail(std::move(applied).error().withContext("layer entry '" + info->path + "'"));
    stats.bytes += info->size;
  }
  if (rc != ARCHIVE_EOF) {
    return failInvalid(std::string("corrupt layer after ") + std::to_string(stats.entries) +
                       " entries: " + archiveError(a));
  }
  return stats;
}

}  // namespace spacelet::agent::image
