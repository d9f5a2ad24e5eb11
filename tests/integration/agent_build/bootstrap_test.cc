// Offline base images: the busybox bootstrap is made, cached, and builds a static Space.
// The debootstrap Python base downloads from Debian's archive for minutes, so it runs only
// when SPACELET_TEST_DEBOOTSTRAP=1 (see docs/images.md for the measured run).
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "agent/image/bootstrap.h"
#include "build_fixture.h"

namespace spacelet::agent::build::testing {
namespace {
namespace fs = std::filesystem;

class BootstrapTest : public BuildFixture {};

TEST_F(BootstrapTest, BusyboxBaseIsMadeOnceAndBuildsOn) {
  std::string progress;
  image::BootstrapOptions options;
  options.progress = [&](std::string_view line) { progress += std::string(line) + "\n"; };
  auto first = image::bootstrapBusybox(*store_, options);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_NE(progress.find("stored spacelet/busybox:latest"), std::string::npos) << progress;
  auto second = image::bootstrapBusybox(*store_, options);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->manifestBlob.digest, first->manifestBlob.digest);
  auto dir = store_->unpackedLayer(first->manifest.layers[0]);
  ASSERT_TRUE(dir);
  EXPECT_EQ(fs::read_symlink(*dir + "/bin/sh"), "busybox");
  struct stat st {};
  ASSERT_EQ(::stat((*dir + "/home/user").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  auto built = runBuild("FROM spacelet/busybox\nRUN httpd --help 2>&1 | head -1 > /httpd.txt\n");
  ASSERT_TRUE(built) << built.error().message << log_;
  auto bad = image::bootstrapBusybox(*store_, {.busyboxPath = "/nonexistent", .force = true});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("install busybox-static"), std::string::npos);
}

TEST_F(BootstrapTest, PythonBaseWithDebootstrap) {
  if (!std::getenv("SPACELET_TEST_DEBOOTSTRAP")) {
    GTEST_SKIP() << "downloads Debian packages for minutes; set SPACELET_TEST_DEBOOTSTRAP=1";
  }
  image::BootstrapOptions options;
  auto python = image::bootstrapPython(*store_, options);
  ASSERT_TRUE(python) << python.error().message;
  auto built = runBuild(
      "FROM spacelet/python:3.11\nRUN python3 -m venv /opt/venv && "
      "/opt/venv/bin/pip --version > /pip.txt && git --version > /git.txt\n");
  ASSERT_TRUE(built) << built.error().message << log_;
}

}  // namespace
}  // namespace spacelet::agent::build::testing
