// The container's namespaces. The intermediate child (see process/spawn.h) joins the
// namespaces given by path (the user namespace first, so that the joins after it are
// checked against it), unshares a new user namespace and waits for its id maps, then
// unshares every other new namespace. pid and time namespaces apply to children, so the
// init, cloned next, is the first process in them.
#pragma once

#include <string>
#include <vector>

#include "sandbox/linux/step_error.h"
#include "sandbox/spec/config.h"
#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::sandbox::linux {

struct NamespaceJoin {
  spec::NamespaceType type = spec::NamespaceType::kPid;
  int cloneFlag = 0;
  std::string path;
  UniqueFd fd;  // opened before clone
};

struct NamespacePlan {
  bool newUser = false;
  int unshareFlags = 0;              // every new namespace except user
  std::vector<NamespaceJoin> joins;  // user first
  std::string timeOffsets;           // for /proc/self/timens_offsets; empty: none
};

// Pure: which namespaces are new and which are joined, in order.
NamespacePlan planNamespaces(const spec::Spec& spec);

// Before clone: opens every path to join and checks it is a namespace of the right type.
Result<void> openNamespaceJoins(NamespacePlan& plan);

// Child side (the intermediate).
StepError joinNamespaces(const NamespacePlan& plan);
StepError unshareUserNamespace(const NamespacePlan& plan);
StepError unshareOtherNamespaces(const NamespacePlan& plan);

}  // namespace spacelet::sandbox::linux
