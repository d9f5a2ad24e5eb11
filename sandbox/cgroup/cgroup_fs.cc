// cgroupfs helpers shared by the drivers (see cgroup_fs.h).
#include "cgroup_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "spacelet/base/file_io.h"

namespace spacelet::sandbox::cgroup {
namespace {

// The names of the subdirectories (child cgroups) of dirFd.
Result<std::vector<std::string>> childCgroups(int dirFd) {
  int fd = ::openat(dirFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return failErrno(errno, "open cgroup directory");
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    int err = errno;
    ::close(fd);
    return failErrno(err, "read cgroup directory");
  }
  std::vector<std::string> names;
  while (struct dirent* d = ::readdir(dir)) {
    if (d->d_type == DT_DIR && d->d_name[0] != '.') names.emplace_back(d->d_name);
  }
  ::closedir(dir);
  return names;
}

Result<void> appendProcs(int dirFd, std::vector<pid_t>& out) {
  auto text = readFileAt(dirFd, "cgroup.procs");
  SPACELET_TRY(text);
  std::istringstream in(*text);
  pid_t pid;
  while (in >> pid) out.push_back(pid);
  auto children = childCgroups(dirFd);
  SPACELET_TRY(children);
  for (const std::string& child : *children) {
    auto childFd = openAt(dirFd, child, O_RDONLY | O_DIRECTORY);
    if (!childFd) continue;  // removed meanwhile
    SPACELET_TRY(appendProcs(childFd->get(), out));
  }
  return {};
}

Result<void> rmdirWithRetry(int rootFd, const std::string& rel, int timeoutMs) {
  auto removed = waitUntil(timeoutMs, [&]() -> Result<bool> {
    if (::unlinkat(rootFd, rel.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT) return true;
    if (errno == EBUSY) return false;
    return failErrno(errno, "remove cgroup '/" + rel + "'");
  });
  SPACELET_TRY(removed);
  if (*removed) return {};
  return failErrno(EBUSY, "remove cgroup '/" + rel + "' (processes are still in it after " +
                              std::to_string(timeoutMs) + " ms; kill them first)");
}

}  // namespace

std::string relativeTo(const std::string& cgroupPath) {
  size_t start = cgroupPath.find_first_not_of('/');
  return start == std::string::npos ? "." : cgroupPath.substr(start);
}

Result<std::vector<std::string>> makeCgroupDirs(int rootFd, const std::string& cgroupPath) {
  std::vector<std::string> created;
  std::string rel = relativeTo(cgroupPath);
  if (rel == ".") return created;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = rel.find('/', pos + 1);
    std::string prefix = rel.substr(0, pos);
    if (::mkdirat(rootFd, prefix.c_str(), 0755) == 0) {
      created.push_back("/" + prefix);
    } else if (errno != EEXIST) {
      return failErrno(errno, "create cgroup '/" + prefix + "'");
    }
  }
  return created;
}

Result<UniqueFd> openCgroupDir(int rootFd, const std::string& cgroupPath) {
  auto fd = openAt(rootFd, relativeTo(cgroupPath), O_RDONLY | O_DIRECTORY);
  if (!fd) return fail(Error::fromErrno(fd.error().code, "open cgroup '" + cgroupPath + "'"));
  return fd;
}

FileState fileStateAt(int dirFd, const std::string& file) {
  struct stat st;
  if (::fstatat(dirFd, file.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
    return FileState::kAbsent;
  }
  return (st.st_mode & S_IWUSR) ? FileState::kWritable : FileState::kReadOnly;
}

Result<std::vector<pid_t>> readProcsRecursive(int dirFd) {
  std::vector<pid_t> pids;
  SPACELET_TRY(appendProcs(dirFd, pids));
  return pids;
}

Result<void> removeCgroupTree(int rootFd, const std::string& cgroupPath, int timeoutMs) {
  std::string rel = relativeTo(cgroupPath);
  auto dir = openAt(rootFd, rel, O_RDONLY | O_DIRECTORY);
  if (!dir) {
    if (dir.error().code == ENOENT) return {};
    return fail(Error::fromErrno(dir.error().code, "open cgroup '" + cgroupPath + "'"));
  }
  auto children = childCgroups(dir->get());
  SPACELET_TRY(children);
  for (const std::string& child : *children) {
    SPACELET_TRY(removeCgroupTree(rootFd, cgroupPath + "/" + child, timeoutMs));
  }
  return rmdirWithRetry(rootFd, rel, timeoutMs);
}

void pruneEmptyParents(int rootFd, const std::string& cgroupPath, const std::string& floor) {
  std::string path = cgroupPath;
  for (;;) {
    size_t slash = path.rfind('/');
    if (slash == 0 || slash == std::string::npos) return;
    path = path.substr(0, slash);
    if (path.size() <= floor.size()) return;  // at or above the floor
    if (::unlinkat(rootFd, relativeTo(path).c_str(), AT_REMOVEDIR) != 0) return;
  }
}

Result<std::optional<uint64_t>> readKeyedValue(int dirFd, const std::string& file,
                                               const std::string& key) {
  auto text = readFileAt(dirFd, file);
  SPACELET_TRY(text);
  std::istringstream in(*text);
  std::string name;
  uint64_t value;
  while (in >> name >> value) {
    if (name == key) return std::optional<uint64_t>(value);
  }
  return std::optional<uint64_t>();
}

Result<std::string> readTrimmed(int dirFd, const std::string& file) {
  auto text = readFileAt(dirFd, file);
  SPACELET_TRY(text);
  while (!text->empty() && (text->back() == '\n' || text->back() == ' ')) text->pop_back();
  return text;
}

Result<std::optional<uint64_t>> readOptionalNumber(int dirFd, const std::string& file) {
  auto text = readTrimmed(dirFd, file);
  if (!text && text.error().code == ENOENT) return std::optional<uint64_t>();
  SPACELET_TRY(text);
  if (*text == "max") return std::optional<uint64_t>();
  char* end = nullptr;
  errno = 0;
  uint64_t value = std::strtoull(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || errno != 0) {
    return failInvalid("'" + file + "' holds '" + *text + "', not a number");
  }
  return std::optional<uint64_t>(value);
}

Result<std::optional<uint64_t>> readOptionalKeyed(int dirFd, const std::string& file,
                                                  const std::string& key) {
  auto value = readKeyedValue(dirFd, file, key);
  if (!value && value.error().code == ENOENT) return std::optional<uint64_t>();
  return value;
}

Result<void> writePid(int dirFd, pid_t pid) {
  return writeFileAt(dirFd, "cgroup.procs", std::to_string(pid));
}

}  // namespace spacelet::sandbox::cgroup
