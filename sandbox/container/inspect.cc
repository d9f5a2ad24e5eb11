// `spacelet-run state`, `list` and `ps`: reading containers without changing them.
#include <algorithm>

#include "sandbox/container/loaded.h"

namespace spacelet::sandbox::container {

Result<spec::Json> state(const GlobalOptions& global, const std::string& id) {
  auto loaded = loadContainer(global, id, false);
  if (!loaded) return fail(std::move(loaded).error());
  return state::ociState(loaded->state, loaded->status);
}

Result<std::vector<ListEntry>> list(const GlobalOptions& global) {
  auto store = state::Store::open(global.root);
  if (!store) return fail(std::move(store).error());
  auto ids = store->list();
  if (!ids) return fail(std::move(ids).error());
  std::vector<ListEntry> entries;
  for (const auto& id : *ids) {
    auto loaded = loadContainer(global, id, false);
    if (!loaded) continue;  // deleted meanwhile
    entries.push_back({std::move(loaded->state), loaded->status});
  }
  return entries;
}

Result<std::vector<pid_t>> processes(const GlobalOptions& global, const std::string& id) {
  auto loaded = loadContainer(global, id, false);
  if (!loaded) return fail(std::move(loaded).error());
  if (loaded->status == state::Status::kCreating) return std::vector<pid_t>{};
  auto cg = reopenCgroup(global, loaded->state);
  if (!cg) return fail(std::move(cg).error());
  auto pids = (*cg)->pids();
  if (!pids) return pids;
  std::sort(pids->begin(), pids->end());
  return pids;
}

}  // namespace spacelet::sandbox::container
