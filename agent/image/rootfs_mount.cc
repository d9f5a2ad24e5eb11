// Overlay root filesystems with idmapped lowers (see rootfs_mount.h).
#include "agent/image/rootfs_mount.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/process/spawn.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::image {
namespace {

Result<void> writeIdMap(pid_t pid, const char* file, const IdRange& range) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + file;
  std::string map = "0 " + std::to_string(range.hostId) + " " + std::to_string(range.count) + "\n";
  return writeFileAt(AT_FDCWD, path, map);
}

// Clones `lower` as a detached mount, idmaps it, and attaches it at `mountPoint`.
Result<void> mountIdmapped(const std::string& lower, const std::string& mountPoint, int usernsFd) {
  int tree = static_cast<int>(
      ::syscall(SYS_open_tree, AT_FDCWD, lower.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (tree < 0) return failErrno(errno, "open_tree '" + lower + "'");
  UniqueFd treeFd(tree);
  struct mount_attr attr {};
  attr.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV;
  attr.userns_fd = static_cast<uint64_t>(usernsFd);
  if (::syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
    return failErrno(errno, "idmap '" + lower +
                                "' (needs linux>=5.12 and a filesystem that "
                                "supports idmapped mounts)");
  }
  if (::mkdir(mountPoint.c_str(), 0700) != 0 && errno != EEXIST) {
    return failErrno(errno, "create '" + mountPoint + "'");
  }
  if (::syscall(SYS_move_mount, tree, "", AT_FDCWD, mountPoint.c_str(), MOVE_MOUNT_F_EMPTY_PATH) !=
      0) {
    return failErrno(errno, "attach idmapped '" + lower + "' at '" + mountPoint + "'");
  }
  return {};
}

}  // namespace

Result<UniqueFd> makeUserNamespace(const IdRange& range) {
  process::SpawnOptions options;
  options.argv = {"unshare", "--user", "--", "/bin/sh", "-c", "echo ready && read line"};
  options.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  options.stdinMode = process::Stream::kPipe;
  options.stdoutMode = process::Stream::kPipe;
  auto child = process::spawn(options);
  if (!child) return fail(std::move(child).error().withContext("make a user namespace"));
  char buf[8];
  ssize_t n = ::read(child->stdoutPipe.get(), buf, sizeof buf);  // "ready": unshare is done
  Result<UniqueFd> result = failInvalid("user namespace helper exited early");
  if (n > 0) {
    auto uid = writeIdMap(child->pid(), "uid_map", range);
    auto gid = uid ? writeIdMap(child->pid(), "gid_map", range) : Result<void>(fail(uid.error()));
    if (!gid) {
      result = fail(std::move(gid).error().withContext("map ids of the user namespace"));
    } else {
      result = openAt(AT_FDCWD, "/proc/" + std::to_string(child->pid()) + "/ns/user", O_RDONLY);
    }
  }
  child->stdinPipe.reset();  // the helper's `read` returns and it exits
  (void)child->wait();
  return result;
}

std::string overlayOptions(const std::vector<std::string>& lowersBottomFirst,
                           const std::string& upper, const std::string& work) {
  std::string lowers;
  for (auto it = lowersBottomFirst.rbegin(); it != lowersBottomFirst.rend(); ++it) {
    lowers += (lowers.empty() ? "" : ":") + *it;
  }
  std::string options = "lowerdir=" + lowers;
  if (!upper.empty()) options += ",upperdir=" + upper + ",workdir=" + work;
  return options;
}

OverlayMount::OverlayMount(OverlayMount&& o) noexcept
    : target_(std::move(o.target_)), idmapped_(std::move(o.idmapped_)) {
  o.target_.clear();
  o.idmapped_.clear();
}

OverlayMount& OverlayMount::operator=(OverlayMount&& o) noexcept {
  if (this != &o) {
    (void)unmount();
    target_ = std::exchange(o.target_, {});
    idmapped_ = std::exchange(o.idmapped_, {});
  }
  return *this;
}

OverlayMount::~OverlayMount() {
  (void)unmount();
}

void OverlayMount::release() {
  target_.clear();
  idmapped_.clear();
}

Result<void> OverlayMount::unmount() {
  Result<void> result;
  if (!target_.empty() && ::umount2(target_.c_str(), MNT_DETACH) != 0 && errno != EINVAL) {
    result = failErrno(errno, "unmount '" + target_ + "'");
  }
  for (const auto& m : idmapped_) {
    ::umount2(m.c_str(), MNT_DETACH);
    ::rmdir(m.c_str());
  }
  target_.clear();
  idmapped_.clear();
  return result;
}

Result<OverlayMount> OverlayMount::mount(const OverlaySpec& spec) {
  OverlayMount m;
  std::vector<std::string> lowers = spec.lowers;
  if (lowers.empty()) {
    // overlayfs needs a lower layer: an empty directory stands for FROM scratch.
    lowers.push_back(spec.scratch + "/empty");
    if (::mkdir(lowers.back().c_str(), 0755) != 0 && errno != EEXIST) {
      return failErrno(errno, "create '" + lowers.back() + "'");
    }
  }
  if (spec.usernsFd >= 0) {
    for (size_t i = 0; i < lowers.size(); ++i) {
      std::string point = spec.scratch + "/l" + std::to_string(i);
      SPACELET_TRY(mountIdmapped(lowers[i], point, spec.usernsFd));
      m.idmapped_.push_back(point);
      lowers[i] = point;
    }
  }
  std::string options = overlayOptions(lowers, spec.upper, spec.work);
  unsigned long flags = spec.upper.empty() ? MS_RDONLY : 0;
  if (::mount("overlay", spec.target.c_str(), "overlay", flags, options.c_str()) != 0) {
    return failErrno(errno, "mount overlay at '" + spec.target + "' (" + options + ")");
  }
  m.target_ = spec.target;
  return m;
}

}  // namespace spacelet::agent::image
