// Builds the init's plan (process/init_plan.h) from a validated spec: the pure planning of
// every feature plus the I/O that must happen before clone (opening namespaces to join,
// checking bind sources, reading mountinfo, compiling seccomp).
#pragma once

#include <string>

#include "sandbox/process/init_plan.h"
#include "sandbox/spec/config.h"
#include "spacelet/base/error.h"

namespace spacelet::sandbox::container {

struct PlanInputs {
  std::string bundle;  // absolute
  std::string rootfs;  // absolute
  bool noPivot = false;
  bool newKeyring = true;
  int preserveFds = 0;
  int consoleSocket = -1;
  int stateDirFd = -1;
  int lockFd = -1;  // the flock'ed state directory: closed in the children
};

Result<process::InitPlan> buildInitPlan(const spec::Spec& spec, const PlanInputs& inputs);

// Absolute bundle and rootfs paths; the rootfs must exist and be a directory.
struct BundlePaths {
  std::string bundle;
  std::string rootfs;
};
Result<BundlePaths> resolveBundle(const std::string& bundle, const spec::Spec& spec);

}  // namespace spacelet::sandbox::container
