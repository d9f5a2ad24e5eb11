// UniqueFd closes exactly once, moves ownership, and duplicates close-on-exec.
#include "spacelet/base/unique_fd.h"

#include <fcntl.h>
#include <gtest/gtest.h>

namespace spacelet {
namespace {

bool isOpen(int fd) {
  return ::fcntl(fd, F_GETFD) >= 0;
}

TEST(UniqueFd, ClosesOnDestruction) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    UniqueFd fd(raw);
    EXPECT_TRUE(isOpen(raw));
  }
  EXPECT_FALSE(isOpen(raw));
}

TEST(UniqueFd, MoveTransfersOwnership) {
  UniqueFd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  int raw = a.get();
  UniqueFd b(std::move(a));
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(b.get(), raw);
  EXPECT_TRUE(isOpen(raw));
}

TEST(UniqueFd, ReleaseDoesNotClose) {
  UniqueFd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  int raw = a.release();
  EXPECT_FALSE(a.valid());
  EXPECT_TRUE(isOpen(raw));
  ::close(raw);
}

TEST(UniqueFd, ResetKeepsErrno) {
  UniqueFd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  errno = EAGAIN;
  a.reset();
  EXPECT_EQ(errno, EAGAIN);
}

TEST(UniqueFd, DupIsCloseOnExec) {
  UniqueFd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  auto b = a.dup();
  ASSERT_TRUE(b);
  EXPECT_NE(b->get(), a.get());
  EXPECT_TRUE(::fcntl(b->get(), F_GETFD) & FD_CLOEXEC);
}

}  // namespace
}  // namespace spacelet
