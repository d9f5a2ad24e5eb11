// The legacy v1 / hybrid driver: one directory per mounted controller hierarchy, each below
// the caller's own cgroup in that hierarchy (on the development VMs memory sits under
// /process_api/<id> while the others are at /), plus, on a hybrid host, a directory on the
// v2 mount for the controllers that live there (hugetlb here) and for cgroup.kill.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "cgroup.h"
#include "spacelet/base/unique_fd.h"
#include "v1_plan.h"

namespace spacelet::sandbox::cgroup {

// The container's directory in one hierarchy.
struct V1Dir {
  std::string mount;                  // the hierarchy's directory below the root: "memory"
  std::set<std::string> controllers;  // empty for the v2 mount of a hybrid host
  bool unified = false;
  std::string path;   // absolute within the hierarchy
  std::string own;    // the caller's cgroup in that hierarchy
  std::string floor;  // destroy() prunes empty parents strictly below this one
};

class Fs1Manager : public Manager {
 public:
  Fs1Manager(UniqueFd rootFd, Mode mode, std::vector<V1Dir> dirs, Options options);

  Result<void> create(const Resources& resources) override;
  Result<void> addProcess(pid_t pid) override;
  Result<SelfJoin> selfJoin() override;
  Result<void> update(const Resources& resources) override;
  Result<void> freeze() override;
  Result<void> thaw() override;
  Result<bool> frozen() override;
  Result<std::vector<pid_t>> pids() override;
  Result<void> killAll(int signal) override;
  Result<Stats> stats() override;
  Result<void> destroy() override;
  std::string persistentPath() const override;
  Mode mode() const override { return mode_; }

 private:
  struct Open {
    UniqueFd mountFd;
    UniqueFd dirFd;
  };

  Result<void> setUp(const Resources& resources);
  Result<void> openAll();
  Result<void> apply(const Resources& resources);
  Result<V1Context> context(const Resources& resources);
  Result<void> seedCpusets();
  Result<void> enableUnifiedControllers(const Resources& resources);
  // The directory fd of the hierarchy holding `controller` (kUnifiedHierarchy for v2); -1
  // when it is not mounted.
  int dirOf(const std::string& controller) const;
  Result<void> setFreezerState(const char* state);
  Result<void> signalEach(int signal);
  void rollback();

  UniqueFd rootFd_;
  Mode mode_;
  std::vector<V1Dir> dirs_;
  Options options_;
  std::vector<Open> open_;                         // parallel to dirs_, filled by openAll
  std::vector<std::vector<std::string>> created_;  // per dir, by create()
};

}  // namespace spacelet::sandbox::cgroup
