// Imports of every format into a fresh store: a docker-archive the test writes itself
// (which then runs as a Space), an OCI layout and an oci-archive, a rootfs tarball; corrupt
// archives are refused. Also the overlayfs whiteouts of unpacked layers, seen through a
// real overlay mount.
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "agent/bundle/bundle.h"
#include "agent/image/digest.h"
#include "agent/image/image_import.h"
#include "agent/image/layer_pack.h"
#include "agent/image/rootfs_mount.h"
#include "build_fixture.h"
#include "spacelet/base/file_io.h"
#include "test_tar.h"

namespace spacelet::agent::build::testing {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class ImportTest : public BuildFixture {
 protected:
  void run(const std::vector<std::string>& argv) {
    auto r = spacelet::testing::runCommand(argv);
    ASSERT_EQ(r.status, 0) << r.output;
  }
  // A second store, so imports do not find the fixture's blobs already there.
  image::ImageStore freshStore() {
    auto s = image::ImageStore::open({*dir_ / "store2", 0, {}});
    EXPECT_TRUE(s);
    return std::move(*s);
  }
};

TEST_F(ImportTest, DockerArchiveWrittenByTheTestImportsAndRuns) {
  std::string work = *dir_ / "docker";
  fs::create_directories(work + "/abc123");
  run({"tar", "-C", *dir_ / "busybox", "-cf", work + "/abc123/layer.tar", "."});
  std::string diffId = image::sha256Of(slurp(work + "/abc123/layer.tar")).str();
  json config = {{"architecture", "amd64"},
                 {"os", "linux"},
                 {"config", {{"Cmd", {"/bin/spacelet-probe", "report"}}, {"Env", {"PATH=/bin"}}}},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", {diffId}}}}};
  std::ofstream(work + "/cfg.json") << config.dump();
  std::ofstream(work + "/manifest.json") << json::array({{{"Config", "cfg.json"},
                                                          {"RepoTags", {"probe:docker"}},
                                                          {"Layers", {"abc123/layer.tar"}}}})
                                                .dump();
  run({"tar", "-C", work, "-cf", *dir_ / "docker.tar", "manifest.json", "cfg.json", "abc123"});

  auto store = freshStore();
  std::vector<std::string> lines;
  auto imported = image::importImage(store, *dir_ / "docker.tar", "",
                                     [&](std::string_view l) { lines.emplace_back(l); });
  ASSERT_TRUE(imported) << imported.error().message;
  // Progress: the archive unpacked, then each layer as it is copied in, with its size.
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[0].starts_with("unpacking the archive (")) << lines[0];
  EXPECT_TRUE(lines[1].starts_with("layer 1/1 " + diffId.substr(0, 19) + " ")) << lines[1];
  EXPECT_TRUE(lines[1].ends_with(" MiB")) << lines[1];
  EXPECT_EQ(imported->format, image::ImportFormat::kDockerArchive);
  ASSERT_EQ(imported->images.size(), 1u);
  EXPECT_EQ(imported->images[0].name, "probe:docker");
  EXPECT_EQ(imported->images[0].config.diffIds[0].str(), diffId);

  bundle::BundleRequest request;
  request.image = imported->images[0];
  request.space.id = "bob/imported";
  request.flavor = {"cpu-basic", 1, int64_t{1} << 30, 256, ""};
  request.settings.ids = {400000, 65536};
  request.settings.cgroupsPath = settings_.cgroupParent + "/spacelet-import-test";
  request.dir = *dir_ / "bundle";
  auto b = bundle::makeBundle(store, request);
  ASSERT_TRUE(b) << b.error().message;
  auto r = spacelet::testing::runCommand(
      {buildRuntime(), "--root", *dir_ / "rt", "run", "--bundle", b->dir, "spacelet-import-test"});
  ASSERT_EQ(r.status, 0) << r.output;
  auto report = json::parse(r.output.substr(r.output.find('{')));
  EXPECT_EQ(report["uid"], 1000);
  EXPECT_EQ(report["env"]["SPACE_ID"], "bob/imported");
  ASSERT_TRUE(bundle::removeBundle(b->dir));

  // The same archive with a layer that does not match its diff id is refused.
  std::ofstream(work + "/abc123/layer.tar", std::ios::app) << "tampered";
  run({"tar", "-C", work, "-cf", *dir_ / "bad.tar", "manifest.json", "cfg.json", "abc123"});
  auto bad = image::importImage(store, *dir_ / "bad.tar", "");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("corrupt"), std::string::npos) << bad.error().message;
}

TEST_F(ImportTest, OciLayoutOciArchiveAndRootfsTarball) {
  auto source = store_->get("busybox-test");
  ASSERT_TRUE(source);
  std::string layout = *dir_ / "layout";
  fs::create_directories(layout + "/blobs/sha256");
  std::vector<image::Digest> digests = {source->manifestBlob.digest,
                                        source->manifest.config.digest};
  for (const auto& l : source->manifest.layers) digests.push_back(l.digest);
  for (const auto& d : digests)
    fs::copy_file(store_->blobs().path(d), layout + "/blobs/sha256/" + d.hex());
  std::ofstream(layout + "/oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
  json desc = json::parse(image::toJson(source->manifestBlob));
  desc["annotations"] = {{"org.opencontainers.image.ref.name", "busybox:oci"}};
  std::ofstream(layout + "/index.json") << json{{"schemaVersion", 2}, {"manifests", {desc}}}.dump();

  auto store = freshStore();
  std::vector<std::string> lines;
  auto dirImport =
      image::importImage(store, layout, "", [&](std::string_view l) { lines.emplace_back(l); });
  ASSERT_TRUE(dirImport) << dirImport.error().message;
  // A layout directory is not unpacked: one line per layer, numbered out of the total.
  ASSERT_EQ(lines.size(), source->manifest.layers.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_TRUE(lines[i].starts_with("layer " + std::to_string(i + 1) + "/" +
                                     std::to_string(lines.size()) + " " +
                                     source->manifest.layers[i].digest.str().substr(0, 19)))
        << lines[i];
  }
  EXPECT_EQ(dirImport->format, image::ImportFormat::kOciLayout);
  EXPECT_EQ(dirImport->images[0].name, "busybox:oci");
  EXPECT_EQ(dirImport->images[0].manifestBlob.digest, source->manifestBlob.digest);

  run({"tar", "-C", layout, "-cf", *dir_ / "oci.tar", "."});
  auto archive = image::importImage(store, *dir_ / "oci.tar", "renamed");
  ASSERT_TRUE(archive) << archive.error().message;
  EXPECT_EQ(archive->format, image::ImportFormat::kOciArchive);
  EXPECT_EQ(archive->images[0].name, "renamed:latest");

  run({"tar", "-C", *dir_ / "busybox", "-czf", *dir_ / "rootfs.tgz", "."});
  auto unnamed = image::importImage(store, *dir_ / "rootfs.tgz", "");
  ASSERT_FALSE(unnamed);
  EXPECT_NE(unnamed.error().message.find("give one"), std::string::npos);
  auto rootfs = image::importImage(store, *dir_ / "rootfs.tgz", "plain-rootfs");
  ASSERT_TRUE(rootfs) << rootfs.error().message;
  EXPECT_EQ(rootfs->format, image::ImportFormat::kRootfsTar);
  auto dir = store.unpackedLayer(rootfs->images[0].manifest.layers[0]);
  ASSERT_TRUE(dir);
  EXPECT_TRUE(fs::exists(*dir + "/bin/busybox"));
  struct stat st {};
  ASSERT_EQ(::stat((*dir + "/home/user").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);

  // A corrupt blob in a layout is refused by digest.
  std::ofstream(layout + "/blobs/sha256/" + source->manifest.layers[0].digest.hex(), std::ios::app)
      << "x";
  auto third = image::ImageStore::open({*dir_ / "store3", 0, {}});
  auto corrupt = image::importImage(*third, layout, "x");
  ASSERT_FALSE(corrupt);
  EXPECT_NE(corrupt.error().message.find("corrupt"), std::string::npos);
}

TEST_F(ImportTest, MaliciousArchivesAreRefusedByEntry) {
  using image::testing::TarEntry;
  std::ofstream(*dir_ / "slip.tar")
      << image::testing::makeTar({{TarEntry::kFile, "../../etc/cron.d/x", "x"}});
  auto slip = image::importImage(*store_, *dir_ / "slip.tar", "x");
  ASSERT_FALSE(slip);
  EXPECT_NE(slip.error().message.find("'../../etc/cron.d/x'"), std::string::npos)
      << slip.error().message;
  std::ofstream(*dir_ / "dev.tar") << image::testing::makeTar({{TarEntry::kCharDevice, "dev/mem"}});
  auto dev = image::importImage(*store_, *dir_ / "dev.tar", "x");
  ASSERT_FALSE(dev);
  EXPECT_NE(dev.error().message.find("'dev/mem' is a device node"), std::string::npos);
}

TEST_F(ImportTest, WhiteoutsBecomeOverlayWhiteoutsAndHideLowerFiles) {
  using image::testing::TarEntry;
  auto lowerBlob =
      store_->blobs().put(image::testing::makeTar({{TarEntry::kFile, "etc/motd", "hi"},
                                                   {TarEntry::kFile, "var/cache/a", "a"},
                                                   {TarEntry::kFile, "keep", "k"}}),
                          image::kMediaTypeLayerTar);
  auto upperBlob =
      store_->blobs().put(image::testing::makeTar({{TarEntry::kFile, "etc/.wh.motd", ""},
                                                   {TarEntry::kFile, "var/cache/.wh..wh..opq", ""},
                                                   {TarEntry::kFile, "var/cache/b", "b"}}),
                          image::kMediaTypeLayerTar);
  auto lower = store_->unpackedLayer(*lowerBlob);
  auto upper = store_->unpackedLayer(*upperBlob);
  ASSERT_TRUE(lower && upper) << (lower ? upper.error().message : lower.error().message);
  struct stat st {};
  ASSERT_EQ(::lstat((*upper + "/etc/motd").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  char opaque = 0;
  EXPECT_EQ(::getxattr((*upper + "/var/cache").c_str(), "trusted.overlay.opaque", &opaque, 1), 1);
  EXPECT_EQ(opaque, 'y');
  std::string merged = *dir_ / "merged";
  fs::create_directories(merged);
  image::OverlaySpec spec;
  spec.lowers = {*lower, *upper};
  spec.target = merged;
  spec.scratch = dir_->path();
  auto mount = image::OverlayMount::mount(spec);
  ASSERT_TRUE(mount) << mount.error().message;
  EXPECT_FALSE(fs::exists(merged + "/etc/motd"));
  EXPECT_FALSE(fs::exists(merged + "/var/cache/a"));
  EXPECT_EQ(slurp(merged + "/var/cache/b"), "b");
  EXPECT_EQ(slurp(merged + "/keep"), "k");

  // Packing a directory with overlay whiteouts gives '.wh.' entries back.
  auto fd = openAt(AT_FDCWD, *upper, O_RDONLY | O_DIRECTORY);
  auto packed = image::packLayer(fd->get(), store_->blobs(), {});
  ASSERT_TRUE(packed) << packed.error().message;
  auto listing =
      spacelet::testing::runCommand({"tar", "-tzf", store_->blobs().path(packed->blob.digest)});
  EXPECT_NE(listing.output.find("etc/.wh.motd"), std::string::npos) << listing.output;
  EXPECT_NE(listing.output.find("var/cache/.wh..wh..opq"), std::string::npos) << listing.output;
}

}  // namespace
}  // namespace spacelet::agent::build::testing
