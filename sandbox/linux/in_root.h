// Path operations inside a container's rootfs that a symlink in the rootfs cannot redirect
// (the CVE-2021-30465 / CVE-2024-21626 class): every lookup is openat2(2) relative to the
// rootfs fd with RESOLVE_IN_ROOT (absolute symlinks and ".." stay inside) and
// RESOLVE_NO_MAGICLINKS (no /proc/self/fd/N escapes). Safe to call in the child after clone:
// no allocation; the path must be shorter than PATH_MAX.
#pragma once

#include <sys/types.h>

#include "sandbox/linux/step_error.h"

namespace spacelet::sandbox::linux {

// openat2(rootFd, path, flags | O_CLOEXEC, mode) confined to rootFd. Returns fd or -errno.
int openInRoot(int rootFd, const char* path, int flags, mode_t mode = 0);

// Creates every missing directory of `path` inside rootFd (like mkdir -p) and returns an
// O_PATH fd of the last one in *out.
StepError mkdirAllInRoot(int rootFd, const char* path, mode_t mode, int* out);

// Makes sure `path` exists inside rootFd as a regular file (creating parents and an empty
// file as needed), for bind mounts of files; returns an O_PATH fd of it in *out.
StepError ensureFileInRoot(int rootFd, const char* path, int* out);

// "/proc/self/fd/<fd>" into buf (at least 32 bytes): how a mount(2) target is named by fd.
const char* procFdPath(int fd, char* buf);

}  // namespace spacelet::sandbox::linux
