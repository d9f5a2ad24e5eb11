// Bundle directories (see bundle.h).
#include "agent/bundle/bundle.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "agent/gpu/grant.h"
#include "agent/image/fs_util.h"
#include "agent/image/rootfs_mount.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::bundle {
namespace {

Result<void> makeDir(const std::string& path, mode_t mode, uid_t owner, gid_t group) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
    return failErrno(errno, "create '" + path + "'");
  if (::chown(path.c_str(), owner, group) != 0) return failErrno(errno, "chown '" + path + "'");
  if (::chmod(path.c_str(), mode) != 0) return failErrno(errno, "chmod '" + path + "'");
  return {};
}

Result<void> checkRequest(const BundleRequest& r) {
  if (r.image.config.config.entrypoint.empty() && r.image.config.config.cmd.empty()) {
    return failInvalid("image '" + r.image.name +
                       "' has neither ENTRYPOINT nor CMD, so a Space cannot start from it; add "
                       "CMD to the Dockerfile");
  }
  if (r.settings.ids.count < r.settings.uid + 1 || r.settings.ids.count < r.settings.gid + 1) {
    return failInvalid("the Space's id range of " + std::to_string(r.settings.ids.count) +
                       " ids does not include uid " + std::to_string(r.settings.uid));
  }
  return {};
}

// /app and /home/user inside the merged root, owned by the app's user of the Space's range.
Result<void> makeWritableDirs(const BundleRequest& r, const std::string& rootfs) {
  uid_t uid = r.settings.ids.hostId + r.settings.uid;
  gid_t gid = r.settings.ids.hostId + r.settings.gid;
  uid_t root = r.settings.ids.hostId;
  SPACELET_TRY(makeDir(rootfs + "/home", 0755, root, root));
  for (const char* dir : {"/app", "/home/user"}) {
    struct stat st {};
    if (::lstat((rootfs + dir).c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
      return failInvalid(std::string("'") + dir + "' in the image is not a directory");
    }
    // Owned by the app's user; an image's own /app keeps its content (copied up on chown).
    SPACELET_TRY(makeDir(rootfs + dir, 0755, uid, gid));
  }
  return {};
}

}  // namespace

Result<Bundle> makeBundle(image::ImageStore& store, const BundleRequest& r) {
  SPACELET_TRY(checkRequest(r));
  if (::mkdir(r.dir.c_str(), 0711) != 0) return failErrno(errno, "create bundle '" + r.dir + "'");
  Bundle b{r.dir, r.dir + "/rootfs", {}};
  uid_t root = r.settings.ids.hostId;
  SPACELET_TRY(makeDir(b.rootfs, 0755, root, root));
  SPACELET_TRY(makeDir(r.dir + "/upper", 0755, root, root));
  SPACELET_TRY(makeDir(r.dir + "/work", 0700, 0, 0));
  SPACELET_TRY(makeDir(r.dir + "/lowers", 0700, 0, 0));
  auto lowers = store.lowerDirs(r.image);
  if (!lowers) return fail(std::move(lowers).error());
  auto userns = image::makeUserNamespace(r.settings.ids);
  if (!userns) return fail(std::move(userns).error());
  auto overlay = image::OverlayMount::mount(
      {*lowers, r.dir + "/upper", r.dir + "/work", b.rootfs, r.dir + "/lowers", userns->get()});
  if (!overlay) return fail(std::move(overlay).error());
  SPACELET_TRY(makeWritableDirs(r, b.rootfs));
  BundleSettings settings = r.settings;
  settings.rootfs = b.rootfs;
  settings.appSource = b.rootfs + "/app";
  settings.homeSource = b.rootfs + "/home/user";
  if (!r.resolvConf.empty()) {
    settings.resolvConfSource = r.dir + "/resolv.conf";
    SPACELET_TRY(writeFileAtomicAt(AT_FDCWD, settings.resolvConfSource, r.resolvConf, 0644));
  }
  b.config = bundleConfig(r.image.config, r.space, r.flavor, settings);
  // Every Space: image GPU variables dropped, exactly the granted devices allowed.
  static const gpu::cdi::Registry kNoSpecs = gpu::cdi::makeRegistry({});
  SPACELET_TRY_CONTEXT(gpu::applyGrant(b.config, r.cdi ? *r.cdi : kNoSpecs, r.gpus,
                                       {r.flavor.accelerator, gpu::hostStat()}),
                       "grant the Space's GPUs");
  // Secrets are in the environment of config.json: readable by root only.
  SPACELET_TRY(writeFileAtomicAt(
      AT_FDCWD, r.dir + "/config.json",
      b.config.dump(2, ' ', false, nlohmann::json::error_handler_t::replace), 0600));
  overlay->release();  // the root stays mounted for the container's lifetime
  return b;
}

namespace {

std::vector<std::string> mountsBelow(const std::string& dir) {
  std::vector<std::string> mounted;
  std::ifstream mountinfo("/proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, point;
    fields >> id >> parent >> devno >> root >> point;
    if (point.starts_with(dir + "/")) mounted.push_back(point);
  }
  return mounted;
}

}  // namespace

Result<void> removeBundle(const std::string& dir) {
  // The root first (it sits on the idmapped layers), then the layers.
  if (::umount2((dir + "/rootfs").c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return failErrno(errno, "unmount '" + dir + "/rootfs'");
  }
  for (const auto& point : mountsBelow(dir)) ::umount2(point.c_str(), MNT_DETACH);
  // Never recurse into a mount: the layers below are shared with other Spaces.
  if (auto left = mountsBelow(dir); !left.empty()) {
    return fail(Error{EBUSY, "'" + left.front() + "' is still mounted; bundle left in place"});
  }
  auto parent = openAt(AT_FDCWD, dir.substr(0, dir.rfind('/')), O_RDONLY | O_DIRECTORY);
  if (!parent) return fail(std::move(parent).error());
  return image::removeTreeAt(parent->get(), dir.substr(dir.rfind('/') + 1));
}

}  // namespace spacelet::agent::bundle
