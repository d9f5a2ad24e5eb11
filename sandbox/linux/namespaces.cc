// Namespace joins and unshares (see namespaces.h).
#include "sandbox/linux/namespaces.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

#include "sandbox/spec/names.h"

namespace spacelet::sandbox::linux {

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

NamespacePlan planNamespaces(const spec::Spec& spec) {
  NamespacePlan plan;
  for (const auto& ns : spec.linux.namespaces) {
    int flag = spec::namespaceCloneFlag(ns.type);
    if (!ns.path.empty()) {
      plan.joins.push_back({ns.type, flag, ns.path, UniqueFd()});
    } else if (ns.type == spec::NamespaceType::kUser) {
      plan.newUser = true;
    } else {
      plan.unshareFlags |= flag;
    }
  }
  std::stable_partition(plan.joins.begin(), plan.joins.end(), [](const NamespaceJoin& j) {
    return j.type == spec::NamespaceType::kUser;
  });
  // clock ids of time_namespaces(7): CLOCK_MONOTONIC is 1, CLOCK_BOOTTIME is 7.
  for (const auto& [clock, offset] : spec.linux.timeOffsets) {
    plan.timeOffsets += (clock == "monotonic" ? "1 " : "7 ") + std::to_string(offset.secs) + " " +
                        std::to_string(offset.nanosecs) + "\n";
  }
  return plan;
}

Result<void> openNamespaceJoins(NamespacePlan& plan) {
  for (auto& join : plan.joins) {
    std::string what = "linux.namespaces: " + std::string(spec::namespaceName(join.type)) +
                       " namespace path '" + join.path + "'";
    int fd = ::open(join.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return failErrno(errno, "open " + what);
    join.fd.reset(fd);
    int type = ::ioctl(fd, NS_GET_NSTYPE);
    if (type < 0) return failErrno(errno, what + " is not a namespace");
    if (type != join.cloneFlag) {
      return failInvalid(what + " is a namespace of another type; point it at /proc/<pid>/ns/" +
                         std::string(spec::namespaceProcName(join.type)));
    }
  }
  return {};
}

StepError joinNamespaces(const NamespacePlan& plan) {
  for (const auto& join : plan.joins) {
    if (::setns(join.fd.get(), join.cloneFlag) != 0) {
      return stepFail("join namespace", join.path.c_str());
    }
  }
  return stepOk();
}

StepError unshareUserNamespace(const NamespacePlan& plan) {
  if (plan.newUser && ::unshare(CLONE_NEWUSER) != 0) return stepFail("create user namespace");
  return stepOk();
}

StepError unshareOtherNamespaces(const NamespacePlan& plan) {
  if (plan.unshareFlags != 0 && ::unshare(plan.unshareFlags) != 0) {
    return stepFail("create namespaces (linux.namespaces)");
  }
  if (!plan.timeOffsets.empty()) {
    int fd = ::open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return stepFail("open", "/proc/self/timens_offsets");
    ssize_t n = ::write(fd, plan.timeOffsets.data(), plan.timeOffsets.size());
    int err = errno;
    ::close(fd);
    if (n < 0) return stepFail("set linux.timeOffsets", nullptr, err);
  }
  return stepOk();
}

}  // namespace spacelet::sandbox::linux
