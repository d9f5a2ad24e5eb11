// The container user (see identity.h). Raw syscalls: glibc's setresuid/setgroups wrappers
// broadcast to every thread with a signal (setxid), which a single-threaded child does not
// need and which is not async-signal-safe.
#include "sandbox/linux/identity.h"

#include <grp.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace spacelet::sandbox::linux {

StepError switchIdentity(const Identity& identity) {
  if (identity.setgroupsAllowed && ::syscall(SYS_setgroups, identity.additionalGids.size(),
                                             identity.additionalGids.data()) != 0) {
    return stepFail("set supplementary groups (process.user.additionalGids)");
  }
  if (::syscall(SYS_setresgid, identity.gid, identity.gid, identity.gid) != 0) {
    return stepFail("set gid (process.user.gid)");
  }
  if (::syscall(SYS_setresuid, identity.uid, identity.uid, identity.uid) != 0) {
    return stepFail("set uid (process.user.uid)");
  }
  return stepOk();
}

}  // namespace spacelet::sandbox::linux
