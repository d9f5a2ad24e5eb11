// The builder's integration fixture (see build_fixture.h).
#include "build_fixture.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/image/layer_pack.h"
#include "agent/image/layer_unpack.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::build::testing {
namespace fs = std::filesystem;

namespace {

std::string chooseRuntime() {
  if (const char* env = std::getenv("SPACELET_TEST_RUNTIME"); env && *env) return env;
  return spacelet::testing::runtimePath();
}

}  // namespace

std::string buildRuntime() {
  static const std::string runtime = chooseRuntime();
  return runtime;
}

void BuildFixture::SetUp() {
  if (auto why = spacelet::testing::requireRoot(); !why.empty()) GTEST_SKIP() << why;
  if (::access(buildRuntime().c_str(), X_OK) != 0) {
    GTEST_SKIP() << "no container runtime at '" << buildRuntime()
                 << "' (build spacelet-run, or set SPACELET_TEST_RUNTIME)";
  }
  dir_ = std::make_unique<spacelet::testing::TempDir>("spacelet-build");
  fs::permissions(dir_->path(),
                  fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  image::StoreOptions options{*dir_ / "store", 0, {}};
  auto store = image::ImageStore::open(options);
  ASSERT_TRUE(store) << store.error().message;
  store_.emplace(std::move(*store));
  std::string rootfs = *dir_ / "busybox";
  ASSERT_EQ(spacelet::testing::makeBusyboxRootfs(rootfs), "");
  auto fd = openAt(AT_FDCWD, rootfs, O_RDONLY | O_DIRECTORY);
  auto layer = image::packLayer(fd->get(), store_->blobs(), {});
  ASSERT_TRUE(layer) << layer.error().message;
  image::ImageConfig config;
  config.config.env = {"PATH=/bin:/usr/bin"};
  config.diffIds = {layer->diffId};
  ASSERT_TRUE(store_->commit("busybox-test", config, {layer->blob}));
  std::string cgroup = ownCgroup(*readFileAt(AT_FDCWD, "/proc/self/cgroup"));
  settings_.runtimePath = buildRuntime();
  settings_.workRoot = *dir_ / "work";
  settings_.cacheRoot = *dir_ / "cache";
  settings_.cgroupParent = spacelet::testing::v2ContainerParent().value_or(cgroup);
  context_ = *dir_ / "context";
  fs::create_directories(context_);
}

void BuildFixture::TearDown() {
  store_.reset();
  dir_.reset();
}

void BuildFixture::writeContext(const std::map<std::string, std::string>& files) {
  for (const auto& [path, content] : files) {
    fs::path p = fs::path(context_) / path;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
  }
}

Result<BuildResult> BuildFixture::runBuild(const std::string& dockerfile, BuildOptions options) {
  options.id = "t" + std::to_string(::getpid()) + "-" + std::to_string(++builds_);
  options.contextDir = context_;
  options.dockerfile = dockerfile;
  if (options.tag.empty()) options.tag = "built";
  log_.clear();
  return build(*store_, settings_, options, [this](std::string_view line) {
    log_ += line;
    log_ += '\n';
  });
}

std::string BuildFixture::unpackImage(const image::Image& image) {
  std::string out = *dir_ / ("unpacked-" + std::to_string(++builds_));
  fs::create_directories(out);
  auto outFd = openAt(AT_FDCWD, out, O_RDONLY | O_DIRECTORY);
  for (const auto& layer : image.manifest.layers) {
    auto blob = store_->blobs().openBlob(layer.digest);
    EXPECT_TRUE(blob);
    // Layers are applied in order onto one directory: whiteouts are not expected here.
    EXPECT_TRUE(image::unpackLayer(blob->get(), outFd->get(), {}));
  }
  return out;
}

}  // namespace spacelet::agent::build::testing
