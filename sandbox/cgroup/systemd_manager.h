// The systemd driver (`spacelet-run --systemd-cgroup`): one transient scope per container,
// started through sd-bus StartTransientUnit with the limits as unit properties, Delegate=yes,
// in a configurable slice (default spacelet.slice). systemd creates the cgroup, so nothing
// exists until the first addProcess(pid) (a scope cannot start empty); create() only checks
// the plan.
// The container's processes live in a leaf below the scope, <scope>/container: systemd
// re-applies the scope's own attributes on `daemon-reload` (resetting, say, memory.oom.group
// on systemd < 253), but never touches a delegated subtree. So limits with a unit property
// are properties of the scope (what systemd re-applies is then right), and the fs driver
// writes every limit, the device BPF program and the rest of the unified keys into the leaf
// too, where the container reads them as its own and systemd never resets them. The fs
// driver also does freeze, kill, stats and ps on the leaf.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "cgroup.h"
#include "fs2_manager.h"
#include "hierarchy.h"
#include "systemd_unit.h"

namespace spacelet::sandbox::cgroup {

class SystemdManager : public Manager {
 public:
  // `fs` manages the scope's payload leaf.
  SystemdManager(ScopeName scope, std::unique_ptr<Fs2Manager> fs, Options options);

  Result<void> create(const Resources& resources) override;
  Result<void> addProcess(pid_t pid) override;
  Result<void> update(const Resources& resources) override;
  Result<void> freeze() override { return fs_->freeze(); }
  Result<void> thaw() override { return fs_->thaw(); }
  Result<bool> frozen() override { return fs_->frozen(); }
  Result<std::vector<pid_t>> pids() override { return fs_->pids(); }
  Result<void> killAll(int signal) override { return fs_->killAll(signal); }
  Result<Stats> stats() override { return fs_->stats(); }
  Result<void> destroy() override;
  std::string persistentPath() const override;
  Mode mode() const override { return Mode::kUnified; }
  Result<UniqueFd> cgroupDirFd() override;

  // For reopen(): the scope exists already.
  void markStarted() { started_ = true; }

 private:
  Result<ScopePlan> plan(const Resources& resources) const;
  Result<void> startScope(pid_t pid);

  ScopeName scope_;
  std::unique_ptr<Fs2Manager> fs_;
  Options options_;
  std::optional<Resources> pending_;  // from create(), applied when the scope starts
  bool started_ = false;
};

Result<std::unique_ptr<Manager>> openSystemd(UniqueFd rootFd, const ProcCgroup& proc,
                                             const Options& options);
Result<std::unique_ptr<Manager>> reopenSystemd(UniqueFd rootFd, const nlohmann::json& saved,
                                               const Options& options);

}  // namespace spacelet::sandbox::cgroup
