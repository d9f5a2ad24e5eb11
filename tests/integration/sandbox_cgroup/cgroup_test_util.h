// Helpers for the cgroup driver tests: children that wait at a gate until they have been
// placed in a cgroup, a guard that kills and removes a test's cgroup even when the test
// fails, and where the host keeps its hierarchies.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cgroup.h"
#include "test_env.h"

namespace spacelet::sandbox::cgroup::testing {

// Why the host cannot run tests of this mode ("" when it can): root, and the hierarchy.
std::string skipUnlessMode(Mode wanted);

// The v2 mount: /sys/fs/cgroup on a pure v2 host, /sys/fs/cgroup/unified on a hybrid one.
std::optional<std::string> unifiedMount();

// Whether `controller` is in the v2 mount root's cgroup.controllers.
bool v2ControllerAvailable(const std::string& mount, const std::string& controller);

// A forked child that blocks until release(), then runs `body` and _exits with its result.
// The destructor SIGKILLs and reaps it if it is still there.
class GatedChild {
 public:
  explicit GatedChild(std::function<int()> body);
  ~GatedChild();
  GatedChild(const GatedChild&) = delete;
  GatedChild& operator=(const GatedChild&) = delete;

  pid_t pid() const { return pid_; }
  void release();
  // Waits for the child; returns the raw wait status.
  int wait();

 private:
  pid_t pid_ = -1;
  int gate_ = -1;
  bool reaped_ = false;
};

// "<parent of this process's v2 cgroup>/<name>": where a test may create v2 cgroups whose
// controllers it enables (its own cgroup is a leaf with processes: the VM harness runs each
// test binary in one). "/<name>" when the process sits in the root.
std::string siblingCgroup(const std::string& name);

// A unique container id for this test process.
std::string uniqueId(const std::string& stem);

// Kills everything in the cgroup and destroys it when the test ends.
class CgroupGuard {
 public:
  explicit CgroupGuard(Manager* manager) : manager_(manager) {}
  ~CgroupGuard();

 private:
  Manager* manager_;
};

// A cgroup directory of the container, from its persistentPath(): `mount` is the v1
// hierarchy ("memory") or "unified"/"." for the v2 one. Empty when there is none.
std::string cgroupDir(const Manager& manager, const std::string& root, const std::string& mount);

// The whole file, trimmed.
std::string readText(const std::string& path);

// The anchor for CPU-rate checks on a busy machine: a thread of this test process spins
// while the measurement runs and reports the share of a CPU it got. A capped busy loop
// should get min(cap, that share): the host's other load slows both alike.
class CpuReference {
 public:
  CpuReference();
  ~CpuReference();
  double stop();  // the reference's CPUs used since construction

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Asserts that `used` CPUs match a `cap` under the reference's conditions (±0.1).
void expectCpuRate(double used, double cap, double reference);

// Allocates and touches `mib` MiB, then returns 0 (if it is still alive).
int hogMemory(int mib);

}  // namespace spacelet::sandbox::cgroup::testing
