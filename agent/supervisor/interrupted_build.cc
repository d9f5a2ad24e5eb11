// Removing what an interrupted build left (see interrupted_build.h).
#include "agent/supervisor/interrupted_build.h"

#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "agent/image/fs_util.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::supervisor {
namespace {

// Mount points below `dir`, deepest first (an overlay before the layers under it).
std::vector<std::string> mountsBelow(const std::string& dir) {
  std::vector<std::string> points;
  std::ifstream mountinfo("/proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, point;
    fields >> id >> parent >> devno >> root >> point;
    if (point.starts_with(dir + "/")) points.push_back(point);
  }
  std::sort(points.rbegin(), points.rend());
  return points;
}

// The build's containers, as the builder ran them: its own runtime root, the node's cgroup
// driver flag.
void deleteContainers(const build::BuilderSettings& builder, RunnerSettings runner,
                      const std::string& runtimeRoot) {
  runner.runtimeArgs = {"--root", runtimeRoot};
  if (!builder.systemdSlice.empty()) runner.runtimeArgs.push_back("--systemd-cgroup");
  auto listed = runRuntime(runner, {"list", "-q"});
  if (!listed || !listed->status.success()) return;
  std::istringstream names(listed->output);
  for (std::string name; std::getline(names, name);) {
    if (!name.empty()) (void)runRuntime(runner, {"delete", "--force", name});
  }
}

}  // namespace

Result<void> removeInterruptedBuild(const build::BuilderSettings& builder,
                                    const RunnerSettings& runner, const std::string& buildId) {
  std::string scratch = builder.workRoot + "/" + buildId;
  if (::access(scratch.c_str(), F_OK) != 0) return {};
  deleteContainers(builder, runner, scratch + "/runtime");
  for (const auto& point : mountsBelow(scratch)) ::umount2(point.c_str(), MNT_DETACH);
  if (auto left = mountsBelow(scratch); !left.empty()) {
    return fail(Error{EBUSY, "'" + left.front() +
                                 "' is still mounted; the scratch directory of "
                                 "build '" +
                                 buildId + "' is left in place"});
  }
  auto parent = openAt(AT_FDCWD, builder.workRoot, O_RDONLY | O_DIRECTORY);
  if (!parent) return fail(std::move(parent).error());
  return image::removeTreeAt(parent->get(), buildId);
}

}  // namespace spacelet::agent::supervisor
