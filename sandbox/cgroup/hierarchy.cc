// Hierarchy detection and cgroup path rules (see hierarchy.h).
#include "hierarchy.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <sstream>

#include "spacelet/base/unique_fd.h"

namespace spacelet::sandbox::cgroup {
namespace {

std::set<std::string> splitList(const std::string& list) {
  std::set<std::string> out;
  std::istringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.insert(item);
  }
  return out;
}

FsKind kindOf(const struct statfs& st) {
  if (st.f_type == CGROUP2_SUPER_MAGIC) return FsKind::kCgroup2;
  if (st.f_type == CGROUP_SUPER_MAGIC) return FsKind::kCgroup1;
  return FsKind::kOther;
}

}  // namespace

Result<ProcCgroup> parseProcCgroup(std::string_view text) {
  ProcCgroup out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    size_t first = line.find(':');
    size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) {
      return failInvalid("/proc/self/cgroup: malformed line '" + line + "'");
    }
    std::string controllers = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    if (path.empty() || path[0] != '/') {
      return failInvalid("/proc/self/cgroup: malformed path in line '" + line + "'");
    }
    if (line.compare(0, first, "0") == 0 && controllers.empty()) {
      out.unified = path;
    } else {
      out.byList[controllers] = path;
    }
  }
  return out;
}

Result<Layout> classifyLayout(FsKind rootKind, const std::vector<RootEntry>& entries) {
  Layout layout;
  if (rootKind == FsKind::kCgroup2) {
    layout.unifiedDir = ".";
    return layout;
  }
  for (const RootEntry& e : entries) {
    if (e.kind == FsKind::kCgroup2 && !layout.unifiedDir) layout.unifiedDir = e.name;
    if (e.kind != FsKind::kCgroup1) continue;
    V1Mount mount{e.name, splitList(e.name)};
    // Named hierarchies (name=systemd, mounted at "systemd") carry no controller.
    if (e.name == "systemd" || e.name.rfind("name=", 0) == 0) continue;
    layout.v1.push_back(std::move(mount));
  }
  if (layout.v1.empty()) {
    return failInvalid("no cgroup controllers are mounted below the cgroup root (neither a " +
                       std::string("cgroup2 mount nor v1 controller mounts); mount cgroup2 ") +
                       "at /sys/fs/cgroup");
  }
  layout.mode = layout.unifiedDir ? Mode::kHybrid : Mode::kLegacy;
  return layout;
}

Result<Layout> detectLayout(int rootFd, const std::string& rootPath) {
  struct statfs st;
  if (::fstatfs(rootFd, &st) != 0) return failErrno(errno, "statfs '" + rootPath + "'");
  FsKind rootKind = kindOf(st);
  std::vector<RootEntry> entries;
  if (rootKind != FsKind::kCgroup2) {
    auto dirFd = UniqueFd(::openat(rootFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dirFd) return failErrno(errno, "open '" + rootPath + "'");
    DIR* dir = ::fdopendir(dirFd.release());
    if (!dir) return failErrno(errno, "read '" + rootPath + "'");
    while (struct dirent* d = ::readdir(dir)) {
      if (d->d_type != DT_DIR || d->d_name[0] == '.') continue;
      auto sub = UniqueFd(::openat(rootFd, d->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      struct statfs subSt;
      if (!sub || ::fstatfs(sub.get(), &subSt) != 0) continue;
      entries.push_back(RootEntry{d->d_name, kindOf(subSt)});
    }
    ::closedir(dir);
  }
  auto layout = classifyLayout(rootKind, entries);
  if (!layout) return fail(std::move(layout).error().withContext("cgroup root '" + rootPath + "'"));
  return layout;
}

std::string joinCgroupPath(const std::string& base, const std::string& rel) {
  if (rel.empty()) return base;
  if (base.empty() || base == "/") return "/" + rel;
  return base + "/" + rel;
}

bool isWithin(const std::string& path, const std::string& ancestor) {
  if (ancestor == "/") return true;
  return path == ancestor || path.rfind(ancestor + "/", 0) == 0;
}

Result<std::string> resolveCgroupPath(const std::string& own, const std::string& cgroupsPath,
                                      const std::string& containerId) {
  std::string rel = cgroupsPath.empty() ? "spacelet/" + containerId : cgroupsPath;
  bool absolute = rel[0] == '/';
  std::istringstream in(rel);
  std::string part, normal;
  while (std::getline(in, part, '/')) {
    if (part.empty() && normal.empty()) continue;  // the leading slash
    if (part.empty() || part == "." || part == "..") {
      return failInvalid("linux.cgroupsPath: '" + cgroupsPath + "' has an empty, '.' or '..' " +
                         "component; use a plain path like 'spacelet/web'");
    }
    normal += "/" + part;
  }
  if (normal.empty()) {
    return failInvalid("linux.cgroupsPath: '" + cgroupsPath +
                       "' names the hierarchy root; a container needs a cgroup of its own");
  }
  return absolute ? normal : joinCgroupPath(own, normal.substr(1));
}

Result<std::string> ownPathFor(const ProcCgroup& proc, const V1Mount& mount) {
  for (const auto& [list, path] : proc.byList) {
    if (splitList(list) == mount.controllers) return path;
  }
  return failInvalid("/proc/self/cgroup has no line for the '" + mount.dir +
                     "' hierarchy; is the cgroup root the one this process sees?");
}

}  // namespace spacelet::sandbox::cgroup
