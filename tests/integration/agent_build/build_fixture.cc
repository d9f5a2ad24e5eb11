// The builder's integration fixture (see build_fixture.h).
#include "build_fixture.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "agent/image/layer_pack.h"
#include "agent/image/layer_unpack.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::build::testing {
namespace fs = std::filesystem;

namespace {

// Whether `runtime` starts a container whose root is itself a mount point (an overlay), as
// every build step and Space root is. Returns "" or what went wrong.
std::string probeOverlayRoot(const std::string& runtime) {
  spacelet::testing::TempDir dir("spacelet-runtime-probe");
  for (const char* d : {"lower/bin", "lower/proc", "upper", "work", "bundle/rootfs"}) {
    fs::create_directories(dir / d);
  }
  fs::copy_file("/bin/busybox", dir / "lower/busybox");
  fs::create_symlink("../busybox", dir / "lower/bin/sh");
  std::string options =
      "lowerdir=" + (dir / "lower") + ",upperdir=" + (dir / "upper") + ",workdir=" + (dir / "work");
  if (::mount("overlay", (dir / "bundle/rootfs").c_str(), "overlay", 0, options.c_str()) != 0) {
    return "cannot mount an overlay here";
  }
  std::ofstream(dir / "bundle/config.json")
      << R"({"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},)"
      << R"("args":["/bin/sh","-c","echo overlay-root-ok"],"env":["PATH=/bin"],"cwd":"/"},)"
      << R"("root":{"path":"rootfs"},"mounts":[{"destination":"/proc","type":"proc","source":"proc"}],)"
      << R"("linux":{"namespaces":[{"type":"pid"},{"type":"mount"}]}})";
  auto r = spacelet::testing::runCommand({runtime, "--root", dir / "state", "run", "--bundle",
                                          dir / "bundle", "spacelet-probe-overlay"});
  return r.output.find("overlay-root-ok") != std::string::npos ? "" : r.output;
}

std::string chooseRuntime() {
  if (const char* env = std::getenv("SPACELET_TEST_RUNTIME"); env && *env) return env;
  std::string ours = spacelet::testing::runtimePath();
  if (::access(ours.c_str(), X_OK) != 0) return ours;  // SetUp skips, naming it
  std::string why = probeOverlayRoot(ours);
  if (why.empty()) return ours;
  // Loud, so nobody mistakes it for spacelet-run coverage: the builder is still tested with
  // a real runtime, and this line names what spacelet-run must learn.
  std::fprintf(stderr,
               "WARNING: spacelet-run cannot start a container on an overlay root (%s); these "
               "tests use /usr/sbin/runc instead until it can\n",
               why.c_str());
  return "/usr/sbin/runc";
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
  settings_ = {buildRuntime(), *dir_ / "work", *dir_ / "cache", cgroup, "none"};
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
