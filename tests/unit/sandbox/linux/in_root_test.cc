// Confined path operations inside a rootfs, unprivileged on a temp dir: symlinks (absolute,
// relative, dangling) and ".." never lead outside, and magic links are refused.
#include "sandbox/linux/in_root.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "test_env.h"

namespace spacelet::sandbox::linux {
namespace {

namespace fs = std::filesystem;

class InRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root_);
    rootFd_ = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(rootFd_, 0);
  }
  void TearDown() override { ::close(rootFd_); }

  spacelet::testing::TempDir dir_{"spacelet-in-root"};
  std::string root_ = dir_ / "root";
  std::string outside_ = dir_ / "outside";
  int rootFd_ = -1;
};

TEST_F(InRootTest, MkdirAllCreatesNestedDirectories) {
  int fd = -1;
  ASSERT_FALSE(mkdirAllInRoot(rootFd_, "/a/b/c", 0755, &fd).failed());
  ::close(fd);
  EXPECT_TRUE(fs::is_directory(root_ + "/a/b/c"));
  ASSERT_FALSE(mkdirAllInRoot(rootFd_, "/a/b/c", 0755, &fd).failed()) << "existing is fine";
  ::close(fd);
}

TEST_F(InRootTest, SymlinksAndDotDotStayInside) {
  fs::create_symlink(outside_, root_ + "/absolute");  // -> <tmp>/outside, absolute
  fs::create_symlink("../../../../outside", root_ + "/relative");
  int fd = -1;
  ASSERT_FALSE(mkdirAllInRoot(rootFd_, "/absolute/x", 0755, &fd).failed());
  ::close(fd);
  ASSERT_FALSE(mkdirAllInRoot(rootFd_, "/relative/y", 0755, &fd).failed());
  ::close(fd);
  ASSERT_FALSE(mkdirAllInRoot(rootFd_, "/../../z", 0755, &fd).failed());
  ::close(fd);
  EXPECT_FALSE(fs::exists(outside_)) << "nothing may be created outside the root";
  EXPECT_TRUE(fs::is_directory(root_ + outside_ + "/x")) << "the absolute link, in the root";
  EXPECT_TRUE(fs::is_directory(root_ + "/outside/y")) << "the relative link, clamped at /";
  EXPECT_TRUE(fs::is_directory(root_ + "/z"));
}

TEST_F(InRootTest, EnsureFileAndMagicLinks) {
  int fd = -1;
  ASSERT_FALSE(ensureFileInRoot(rootFd_, "/etc/hosts", &fd).failed());
  ::close(fd);
  EXPECT_TRUE(fs::is_regular_file(root_ + "/etc/hosts"));
  // Through the real /proc, a magic link would lead anywhere: refused (ELOOP).
  int hostRoot = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(hostRoot, 0);
  EXPECT_EQ(openInRoot(hostRoot, "/proc/self/root/etc", O_PATH), -ELOOP);
  EXPECT_EQ(openInRoot(hostRoot, "/proc/self/fd/0", O_PATH), -ELOOP);
  int proc = openInRoot(hostRoot, "/proc/self/status", O_RDONLY);
  EXPECT_GE(proc, 0) << "a plain symlink (/proc/self) is fine";
  ::close(proc);
  ::close(hostRoot);
}

}  // namespace
}  // namespace spacelet::sandbox::linux
