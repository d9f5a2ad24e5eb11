// Owning and borrowing file descriptors.
// UniqueFd owns exactly one fd and closes it once; a plain `int` (or FdView) borrows.
// Every fd spacelet creates is close-on-exec from birth (O_CLOEXEC, SOCK_CLOEXEC,
// F_DUPFD_CLOEXEC); the only fds a child inherits are the ones it is handed on purpose.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "spacelet/base/error.h"

namespace spacelet {

// A borrowed fd: valid only while its owner is alive. Never closes anything.
class FdView {
 public:
  constexpr FdView() = default;
  constexpr explicit FdView(int fd) : fd_(fd) {}
  constexpr int get() const { return fd_; }
  constexpr bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// A move-only owner of one fd. Closing never retries on EINTR (Linux releases the fd even
// when close reports EINTR; see close(2)) and never changes errno seen by the caller.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  FdView view() const { return FdView(fd_); }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }

  // Gives up ownership without closing.
  int release() { return std::exchange(fd_, -1); }

  void reset(int fd = -1) {
    if (fd_ >= 0) {
      int saved = errno;
      ::close(fd_);
      errno = saved;
    }
    fd_ = fd;
  }

  // A close-on-exec duplicate.
  Result<UniqueFd> dup() const {
    int fd = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return failErrno(errno, "duplicate fd");
    return UniqueFd(fd);
  }

 private:
  int fd_ = -1;
};

}  // namespace spacelet
