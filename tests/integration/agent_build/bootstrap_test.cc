// Offline base images: the busybox bootstrap is made, cached, and builds a static Space.
// The debootstrap Python base is made and used end to end in tests/e2e/sdk_space_test.cc
// (once for its gradio and streamlit Spaces: it downloads from Debian's archive for minutes).
#include <sys/stat.h>

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

}  // namespace
}  // namespace spacelet::agent::build::testing
