// Running from an unwritable copy of the runtime binary (see protected_exe.h).
#include "sandbox/process/protected_exe.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spacelet/base/unique_fd.h"

namespace spacelet::sandbox::process {
namespace {

constexpr unsigned kWriteSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

Error execFd(int fd, char** argv, char** envp) {
  ::syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
  return Error::fromErrno(errno, "re-execute spacelet-run from its protected copy");
}

// A detached bind mount of the binary, made read-only before anything can exec it.
Result<UniqueFd> readonlyBind() {
  UniqueFd tree(::open_tree(AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (!tree) return failErrno(errno, "bind the runtime binary");
  struct mount_attr attr {};
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
    return failErrno(errno, "make the runtime binary's bind read-only");
  }
  return tree;
}

// COMPAT: without CAP_SYS_ADMIN (rootless) there is no mount; copy into a sealed memfd.
Result<UniqueFd> sealedCopy() {
  UniqueFd exe(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!exe) return failErrno(errno, "open /proc/self/exe");
  struct stat st {};
  if (::fstat(exe.get(), &st) != 0) return failErrno(errno, "stat /proc/self/exe");
  UniqueFd copy(::memfd_create("spacelet-run", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!copy) return failErrno(errno, "memfd_create");
  for (off_t done = 0; done < st.st_size;) {
    ssize_t n = ::sendfile(copy.get(), exe.get(), &done, static_cast<size_t>(st.st_size - done));
    if (n <= 0) return failErrno(n < 0 ? errno : EIO, "copy the runtime binary");
  }
  if (::fcntl(copy.get(), F_ADD_SEALS, kWriteSeals) != 0) return failErrno(errno, "seal the copy");
  return copy;
}

}  // namespace

bool exeIsProtected() {
  UniqueFd exe(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!exe) return false;
  struct statvfs vfs {};
  if (::fstatvfs(exe.get(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) return true;
  int seals = ::fcntl(exe.get(), F_GET_SEALS);
  return seals >= 0 && (static_cast<unsigned>(seals) & F_SEAL_WRITE);
}

Error reexecProtected(char** argv, char** envp) {
  auto bind = readonlyBind();
  if (bind) return execFd(bind->get(), argv, envp);
  auto copy = sealedCopy();
  if (!copy) return std::move(copy).error();
  return execFd(copy->get(), argv, envp);
}

}  // namespace spacelet::sandbox::process
