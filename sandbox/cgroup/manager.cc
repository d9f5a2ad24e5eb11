// open() and reopen(): pick the driver for this host (or the one a container was created
// with) and work out where its cgroup lives. The only place that reads /proc/self/cgroup.
#include <fcntl.h>

#include <nlohmann/json.hpp>

#include "fs1_manager.h"
#include "fs2_manager.h"
#include "hierarchy.h"
#include "spacelet/base/file_io.h"
#include "systemd_manager.h"

namespace spacelet::sandbox::cgroup {
namespace {

Result<UniqueFd> openRoot(const Options& options) {
  auto fd = openAt(AT_FDCWD, options.root, O_RDONLY | O_DIRECTORY);
  if (!fd) return fail(fd.error().withContext("cgroup root"));
  return fd;
}

Result<ProcCgroup> readProcCgroup(const Options& options) {
  auto text = readFileAt(AT_FDCWD, options.procSelfCgroup);
  SPACELET_TRY(text);
  return parseProcCgroup(*text);
}

// Empty parents are pruned up to the caller's cgroup for paths inside it; an absolute path
// elsewhere loses only its own directory.
std::string floorFor(const std::string& path, const std::string& own) {
  if (isWithin(path, own) && path != own) return own;
  return path.substr(0, path.rfind('/'));
}

Result<std::unique_ptr<Manager>> openFs2(UniqueFd rootFd, const ProcCgroup& proc,
                                         const Options& options) {
  if (!proc.unified) {
    return failInvalid(options.procSelfCgroup + " has no cgroup v2 line ('0::/...')");
  }
  auto path = resolveCgroupPath(*proc.unified, options.cgroupsPath, options.containerId);
  SPACELET_TRY(path);
  if (*path == *proc.unified) {
    return failInvalid("linux.cgroupsPath: '" + options.cgroupsPath +
                       "' is the caller's own cgroup; a container needs a cgroup of its own");
  }
  Fs2Location location{*path, *proc.unified, floorFor(*path, *proc.unified)};
  return std::unique_ptr<Manager>(
      std::make_unique<Fs2Manager>(std::move(rootFd), std::move(location), options));
}

Result<V1Dir> v1DirFor(const std::string& mount, const std::set<std::string>& controllers,
                       const std::string& own, const Options& options) {
  auto path = resolveCgroupPath(own, options.cgroupsPath, options.containerId);
  SPACELET_TRY(path);
  return V1Dir{mount, controllers, controllers.empty(), *path, own, floorFor(*path, own)};
}

Result<std::unique_ptr<Manager>> openFs1(UniqueFd rootFd, const Layout& layout,
                                         const ProcCgroup& proc, const Options& options) {
  std::vector<V1Dir> dirs;
  for (const V1Mount& mount : layout.v1) {
    auto own = ownPathFor(proc, mount);
    SPACELET_TRY(own);
    auto dir = v1DirFor(mount.dir, mount.controllers, *own, options);
    SPACELET_TRY(dir);
    dirs.push_back(std::move(*dir));
  }
  if (layout.unifiedDir && proc.unified) {
    auto dir = v1DirFor(*layout.unifiedDir, {}, *proc.unified, options);
    SPACELET_TRY(dir);
    dirs.push_back(std::move(*dir));
  }
  return std::unique_ptr<Manager>(
      std::make_unique<Fs1Manager>(std::move(rootFd), layout.mode, std::move(dirs), options));
}

Result<std::unique_ptr<Manager>> reopenFs1(UniqueFd rootFd, const nlohmann::json& saved,
                                           const Options& options) {
  Mode mode = saved.at("mode") == "hybrid" ? Mode::kHybrid : Mode::kLegacy;
  std::vector<V1Dir> dirs;
  for (const auto& d : saved.at("dirs")) {
    V1Dir dir{d.at("mount"), {}, d.at("unified"), d.at("path"), d.at("own"), d.at("floor")};
    if (!dir.unified) {
      std::string mount = dir.mount;
      for (size_t pos = 0; pos != std::string::npos;) {
        size_t comma = mount.find(',', pos);
        dir.controllers.insert(mount.substr(pos, comma - pos));
        pos = comma == std::string::npos ? comma : comma + 1;
      }
    }
    dirs.push_back(std::move(dir));
  }
  return std::unique_ptr<Manager>(
      std::make_unique<Fs1Manager>(std::move(rootFd), mode, std::move(dirs), options));
}

Result<std::unique_ptr<Manager>> reopenFrom(UniqueFd rootFd, const nlohmann::json& saved,
                                            const Options& options) {
  std::string driver = saved.at("driver");
  if (driver == "fs2") {
    Fs2Location location{saved.at("path"), saved.at("own"), saved.at("floor")};
    return std::unique_ptr<Manager>(
        std::make_unique<Fs2Manager>(std::move(rootFd), std::move(location), options));
  }
  if (driver == "fs1") return reopenFs1(std::move(rootFd), saved, options);
  if (driver == "systemd") return reopenSystemd(std::move(rootFd), saved, options);
  return failInvalid("unknown cgroup driver '" + driver + "'");
}

}  // namespace

Result<std::unique_ptr<Manager>> open(const Options& options) {
  if (options.cgroupsPath.empty() && options.containerId.empty()) {
    return failInvalid("cgroup: a container id or a cgroupsPath is needed");
  }
  auto rootFd = openRoot(options);
  SPACELET_TRY(rootFd);
  auto layout = detectLayout(rootFd->get(), options.root);
  SPACELET_TRY(layout);
  auto proc = readProcCgroup(options);
  SPACELET_TRY(proc);
  if (options.systemd) {
    if (layout->mode != Mode::kUnified) {
      return failInvalid("--systemd-cgroup needs a pure cgroup v2 host (this one is " +
                         std::string(layout->mode == Mode::kHybrid ? "hybrid" : "legacy v1") +
                         "); drop --systemd-cgroup to use the cgroupfs driver");
    }
    return openSystemd(std::move(*rootFd), *proc, options);
  }
  if (layout->mode == Mode::kUnified) return openFs2(std::move(*rootFd), *proc, options);
  return openFs1(std::move(*rootFd), *layout, *proc, options);
}

Result<std::unique_ptr<Manager>> reopen(const Options& options, const std::string& persistentPath) {
  auto rootFd = openRoot(options);
  SPACELET_TRY(rootFd);
  try {
    return reopenFrom(std::move(*rootFd), nlohmann::json::parse(persistentPath), options);
  } catch (const nlohmann::json::exception& e) {
    return failInvalid("cgroup state '" + persistentPath + "' is not what spacelet-run " +
                       "wrote: " + e.what());
  }
}

}  // namespace spacelet::sandbox::cgroup
