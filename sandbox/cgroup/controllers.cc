// cgroup.subtree_control planning and application (see controllers.h).
#include "controllers.h"

#include <fcntl.h>

#include <algorithm>
#include <sstream>

#include "cgroup_fs.h"
#include "hierarchy.h"
#include "spacelet/base/file_io.h"

namespace spacelet::sandbox::cgroup {
namespace {

std::string joined(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "'" : ", '") + n + "'";
  return out;
}

std::set<std::string> minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::set<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

Result<LevelState> readLevel(int rootFd, const std::string& path, bool writable) {
  auto dir = openCgroupDir(rootFd, path);
  SPACELET_TRY(dir);
  auto available = readFileAt(dir->get(), "cgroup.controllers");
  SPACELET_TRY_CONTEXT(available, "cgroup '" + path + "'");
  auto enabled = readFileAt(dir->get(), "cgroup.subtree_control");
  SPACELET_TRY_CONTEXT(enabled, "cgroup '" + path + "'");
  return LevelState{path, parseControllerList(*available), parseControllerList(*enabled), writable};
}

Result<void> applyLevel(int rootFd, const LevelState& level, const EnableStep& step,
                        const std::set<std::string>& needed) {
  if (step.write.empty()) return {};
  auto dir = openCgroupDir(rootFd, level.path);
  SPACELET_TRY(dir);
  auto written = writeFileAt(dir->get(), "cgroup.subtree_control", step.write);
  if (written) return {};
  auto missing = minus(needed, level.enabled);
  if (written.error().code == EBUSY && missing.empty()) return {};
  if (written.error().code == EBUSY) {
    return failErrno(EBUSY, "enable controllers " + joined(missing) + " in cgroup '" + level.path +
                                "': it holds processes, and cgroup v2 lets only " +
                                "cgroups without processes enable controllers for children; " +
                                "move the caller into a leaf cgroup first");
  }
  return fail(std::move(written).error().withContext("cgroup '" + level.path + "'"));
}

// "/a/b/c" -> {"/", "/a", "/a/b"}
std::vector<std::string> ancestorsOf(const std::string& path) {
  std::vector<std::string> out{"/"};
  for (size_t pos = path.find('/', 1); pos != std::string::npos; pos = path.find('/', pos + 1)) {
    out.push_back(path.substr(0, pos));
  }
  return out;
}

}  // namespace

std::set<std::string> parseControllerList(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  std::string name;
  while (in >> name) out.insert(name);
  return out;
}

Result<EnableStep> planLevel(const LevelState& level, const std::set<std::string>& needed,
                             const std::set<std::string>& wanted) {
  if (!level.writable) {
    auto missing = minus(needed, level.enabled);
    if (missing.empty()) return EnableStep{};
    std::string file = (level.path == "/" ? "" : level.path) + "/cgroup.subtree_control";
    return failInvalid("controllers " + joined(missing) + " are not enabled in '" + file +
                       "', which is outside the caller's cgroup; enable them there, or use " +
                       "a cgroupsPath below the caller's cgroup");
  }
  auto unavailable = minus(needed, level.available);
  if (!unavailable.empty()) {
    return failInvalid("controllers " + joined(unavailable) + " are not available in cgroup '" +
                       level.path + "' (it offers " + joined(level.available) +
                       "); the cgroup above must delegate them");
  }
  EnableStep step;
  for (const std::string& c : level.available) {
    if ((wanted.count(c) || needed.count(c)) && !level.enabled.count(c)) {
      step.write += (step.write.empty() ? "+" : " +") + c;
    }
  }
  return step;
}

Result<void> enableControllers(int rootFd, const std::string& cgroupPath, const std::string& own,
                               const std::vector<std::string>& created,
                               const std::set<std::string>& needed, bool wantAll) {
  for (const std::string& path : ancestorsOf(cgroupPath)) {
    bool writable =
        isWithin(path, own) || std::find(created.begin(), created.end(), path) != created.end();
    auto level = readLevel(rootFd, path, writable);
    SPACELET_TRY(level);
    std::set<std::string> wanted = wantAll ? level->available : needed;
    auto step = planLevel(*level, needed, wanted);
    SPACELET_TRY(step);
    SPACELET_TRY(applyLevel(rootFd, *level, *step, needed));
  }
  return {};
}

}  // namespace spacelet::sandbox::cgroup
