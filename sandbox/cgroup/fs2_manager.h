// The cgroup v2 "fs" driver: one directory in the unified hierarchy per container, limits
// written to its interface files, devices filtered by a BPF program, cgroup.freeze for
// pause, cgroup.kill for kill --all. The systemd driver reuses it on the scope's directory.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cgroup.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::sandbox::cgroup {

struct Fs2Location {
  std::string path;   // the container's cgroup, absolute in the hierarchy: "/spacelet/web"
  std::string own;    // the caller's cgroup: subtree_control is written only at or below it
  std::string floor;  // destroy() prunes empty parents strictly below this one
};

class Fs2Manager : public Manager {
 public:
  Fs2Manager(UniqueFd rootFd, Fs2Location location, Options options);

  Result<void> create(const Resources& resources) override;
  Result<void> addProcess(pid_t pid) override;
  Result<void> update(const Resources& resources) override;
  Result<void> freeze() override;
  Result<void> thaw() override;
  Result<bool> frozen() override;
  Result<std::vector<pid_t>> pids() override;
  Result<void> killAll(int signal) override;
  Result<Stats> stats() override;
  Result<void> destroy() override;
  std::string persistentPath() const override;
  Mode mode() const override { return Mode::kUnified; }
  Result<UniqueFd> cgroupDirFd() override;

  // Opens the existing directory (reopen, or a scope systemd created); no writes.
  Result<void> attach();
  // Makes the directory (mkdir -p) and moves `pid` into it, ahead of create(). The systemd
  // driver moves a scope's first process into the scope's payload leaf this way, so that
  // the scope holds no process and may enable controllers for that leaf.
  Result<void> adopt(pid_t pid);
  const Fs2Location& location() const { return location_; }

 private:
  Result<void> setUp(const Resources& resources, const std::vector<std::string>& created);
  Result<void> apply(const Resources& resources);
  Result<void> setFrozen(bool frozen);
  Result<void> signalEach(int signal);
  Result<int> dir();

  UniqueFd rootFd_;
  Fs2Location location_;
  Options options_;
  UniqueFd dirFd_;
};

}  // namespace spacelet::sandbox::cgroup
