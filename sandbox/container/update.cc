// `spacelet-run update`: new cgroup limits for a live container.
#include "sandbox/container/loaded.h"

namespace spacelet::sandbox::container {

Result<void> update(const GlobalOptions& global, const std::string& id,
                    const cgroup::Resources& resources) {
  auto loaded = loadContainer(global, id, true);
  if (!loaded) return fail(std::move(loaded).error());
  using state::Status;
  SPACELET_TRY(
      requireStatus(*loaded, {Status::kCreated, Status::kRunning, Status::kPaused}, "update"));
  auto cg = reopenCgroup(global, loaded->state);
  if (!cg) return fail(std::move(cg).error());
  return (*cg)->update(resources);
}

}  // namespace spacelet::sandbox::container
