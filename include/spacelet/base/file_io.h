// Small whole-file helpers over fds: read a file, write a file, write one atomically.
// Paths are relative to a directory fd (AT_FDCWD for the caller's cwd) so callers can
// inject roots (a temp dir standing in for /sys/fs/cgroup, a state dir) in tests.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>

#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet {

inline Result<UniqueFd> openAt(int dirfd, const std::string& path, int flags, mode_t mode = 0) {
  int fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return failErrno(errno, "open '" + path + "'");
  return UniqueFd(fd);
}

// Reads everything from fd until EOF.
inline Result<std::string> readAll(int fd) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return failErrno(errno, "read");
    }
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

// Writes all of data, retrying short writes and EINTR.
inline Result<void> writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return failErrno(errno, "write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

inline Result<std::string> readFileAt(int dirfd, const std::string& path) {
  auto fd = openAt(dirfd, path, O_RDONLY);
  if (!fd) return fail(std::move(fd).error());
  auto data = readAll(fd->get());
  if (!data) return fail(std::move(data).error().withContext("read '" + path + "'"));
  return data;
}

// Writes data to an existing file (cgroupfs, procfs, sysfs style: one write, no create).
inline Result<void> writeFileAt(int dirfd, const std::string& path, std::string_view data) {
  auto fd = openAt(dirfd, path, O_WRONLY);
  if (!fd) return fail(std::move(fd).error());
  ssize_t n = ::write(fd->get(), data.data(), data.size());
  if (n < 0) return failErrno(errno, "write '" + std::string(data) + "' to '" + path + "'");
  return {};
}

// Replaces path with data so that a crash leaves either the old or the new content:
// write a temp file, fsync it, rename it over path, fsync the directory. The temp name is
// unique to the process and call, so writers racing on one path each rename a whole file
// (the last one wins) instead of failing on each other's temp file.
inline Result<void> writeFileAtomicAt(int dirfd, const std::string& path, std::string_view data,
                                      mode_t mode = 0644) {
  static std::atomic<uint64_t> counter{0};
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(++counter);
  auto fd = openAt(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL, mode);
  if (!fd) return fail(std::move(fd).error());
  auto failed = [&](Error error) {
    ::unlinkat(dirfd, tmp.c_str(), 0);  // no temp file is left behind
    return fail(std::move(error));
  };
  if (auto ok = writeAll(fd->get(), data); !ok) {
    return failed(std::move(ok).error().withContext("write '" + tmp + "'"));
  }
  if (::fsync(fd->get()) != 0) return failed(Error::fromErrno(errno, "fsync '" + tmp + "'"));
  if (::renameat(dirfd, tmp.c_str(), dirfd, path.c_str()) != 0) {
    return failed(Error::fromErrno(errno, "rename '" + tmp + "' to '" + path + "'"));
  }
  if (dirfd != AT_FDCWD) ::fsync(dirfd);
  return {};
}

}  // namespace spacelet
