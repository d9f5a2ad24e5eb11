// Deleting the logs of long-ended deployments (see log_expiry.h).
#include "agent/supervisor/log_expiry.h"

#include <filesystem>
#include <set>

#include "agent/supervisor/layout.h"

namespace spacelet::agent::supervisor {
namespace {

namespace fs = std::filesystem;

// `path` and its rotated files (path.1, path.2, ...).
size_t removeWithRotated(const std::string& path) {
  fs::path p(path);
  std::string name = p.filename().string();
  size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(p.parent_path(), ec)) {
    std::string file = entry.path().filename().string();
    if (file != name && !file.starts_with(name + ".")) continue;
    if (fs::remove(entry.path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace

size_t expireDeploymentLogs(const std::string& stateDir, const store::SpaceId& id,
                            const DeploymentHistory& history, int64_t nowMs,
                            std::chrono::seconds retention) {
  std::set<int64_t> kept;
  if (const Deployment* serving = history.serving()) kept = {serving->seq, serving->buildSeq};
  int64_t cutoff = nowMs - std::chrono::duration_cast<std::chrono::milliseconds>(retention).count();
  size_t removed = 0;
  for (const Deployment& d : history.all()) {
    if (d.endedAtMs == 0 || d.endedAtMs > cutoff || kept.count(d.seq)) continue;
    DeploymentPaths paths = deploymentPaths(stateDir, id, d.seq);
    removed += removeWithRotated(paths.buildLog) + removeWithRotated(paths.runLog);
  }
  return removed;
}

}  // namespace spacelet::agent::supervisor
