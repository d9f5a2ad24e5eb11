// `spacelet-run pause` and `resume`: freeze and thaw every process of the container
// through its cgroup (the freezer), so nothing runs or sees time pass while paused.
#include "sandbox/container/loaded.h"

namespace spacelet::sandbox::container {

Result<void> pause(const GlobalOptions& global, const std::string& id) {
  auto loaded = loadContainer(global, id, true);
  if (!loaded) return fail(std::move(loaded).error());
  SPACELET_TRY(requireStatus(*loaded, {state::Status::kRunning}, "pause"));
  auto cg = reopenCgroup(global, loaded->state);
  if (!cg) return fail(std::move(cg).error());
  return (*cg)->freeze();
}

Result<void> resume(const GlobalOptions& global, const std::string& id) {
  auto loaded = loadContainer(global, id, true);
  if (!loaded) return fail(std::move(loaded).error());
  SPACELET_TRY(requireStatus(*loaded, {state::Status::kPaused}, "resume"));
  auto cg = reopenCgroup(global, loaded->state);
  if (!cg) return fail(std::move(cg).error());
  return (*cg)->thaw();
}

}  // namespace spacelet::sandbox::container
