// Unit tests of the blob store, the OCI JSON types, the image index and layer unpack/pack,
// in a temp dir without root (owners are not preserved; whiteouts are integration tests).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <filesystem>
#include <fstream>

#include "agent/image/blob_store.h"
#include "agent/image/image_store.h"
#include "agent/image/layer_pack.h"
#include "agent/image/layer_unpack.h"
#include "spacelet/base/file_io.h"
#include "test_env.h"
#include "test_tar.h"

namespace spacelet::agent::image {
namespace {
using spacelet::testing::TempDir;
using testing::Compression;
using testing::makeTar;
using testing::TarEntry;
namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

UniqueFd memFd(const std::string& data) {
  UniqueFd fd(::memfd_create("layer", MFD_CLOEXEC));
  EXPECT_TRUE(writeAll(fd.get(), data));
  ::lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

Result<UnpackStats> unpackInto(const std::string& tar, const std::string& dir,
                               UnpackOptions options = {}) {
  options.preserveOwnership = false;
  fs::create_directories(dir);
  auto dirFd = openAt(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY);
  UniqueFd in = memFd(tar);
  return unpackLayer(in.get(), dirFd->get(), options);
}

TEST(Digest, ParsesAndHashes) {
  EXPECT_EQ(sha256Of("").str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_TRUE(Digest::parse(sha256Of("x").str()));
  EXPECT_FALSE(Digest::parse("sha256:../../etc/passwd"));
  EXPECT_FALSE(Digest::parse("md5:abc"));
}

TEST(BlobStore, PutReadVerifyRemove) {
  TempDir dir;
  auto store = BlobStore::open(dir.path());
  ASSERT_TRUE(store) << store.error().message;
  auto d = store->put("hello", kMediaTypeConfig);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->digest, sha256Of("hello"));
  EXPECT_EQ(d->size, 5);
  EXPECT_EQ(*store->read(d->digest), "hello");
  EXPECT_TRUE(fs::exists(dir / "oci-layout"));
  // Corruption on disk is detected on read.
  std::ofstream(store->path(d->digest)) << "tampered";
  auto bad = store->read(d->digest);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("corrupt"), std::string::npos);
  ASSERT_TRUE(store->remove(d->digest));
  EXPECT_FALSE(store->has(d->digest));
}

TEST(BlobStore, RefusesToFillTheDisk) {
  TempDir dir;
  // A reserve larger than any disk: the first write must fail cleanly, leaving nothing.
  auto store = BlobStore::open(dir.path(), int64_t{1} << 60);
  ASSERT_TRUE(store);
  auto d = store->put("data", kMediaTypeConfig);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ENOSPC);
  EXPECT_NE(d.error().message.find("disk full"), std::string::npos);
  auto blobs = store->list();
  ASSERT_TRUE(blobs);
  EXPECT_TRUE(blobs->empty());
  EXPECT_TRUE(fs::is_empty(dir / "blobs/sha256"));
}

TEST(Oci, ImageConfigRoundTrip) {
  ImageConfig c;
  c.config.env = {"PATH=/bin", "HOME=/home/user"};
  c.config.user = "1000";
  c.config.cmd = {"python", "app.py"};
  c.config.workingDir = "/app";
  c.config.exposedPorts = {"7860/tcp"};
  c.config.labels = {{"a", "b"}};
  c.diffIds = {sha256Of("layer")};
  c.history = {{"RUN x", false}, {"ENV y", true}};
  auto back = parseImageConfig(toJson(c));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->config, c.config);
  EXPECT_EQ(back->diffIds, c.diffIds);
  EXPECT_EQ(back->history.size(), 2u);
  EXPECT_FALSE(parseImageConfig("{\"rootfs\": 3}"));
  EXPECT_FALSE(parseImageConfig("not json"));
}

TEST(Oci, EnvHelpers) {
  std::vector<std::string> env = {"A=1", "AB=2"};
  EXPECT_EQ(*envLookup(env, "A"), "1");
  EXPECT_FALSE(envLookup(env, "B"));
  envSet(env, "A", "3");
  envSet(env, "C", "4");
  EXPECT_EQ(env, (std::vector<std::string>{"A=3", "AB=2", "C=4"}));
}

TEST(ImageStore, CommitGetListRemove) {
  TempDir dir;
  auto store = ImageStore::open({dir.path(), 0, {}});
  ASSERT_TRUE(store);
  auto layer = store->blobs().put(makeTar({{TarEntry::kFile, "a", "x"}}), kMediaTypeLayerTar);
  ImageConfig config;
  config.diffIds = {layer->digest};
  auto image = store->commit("demo", config, {*layer});
  ASSERT_TRUE(image) << image.error().message;
  EXPECT_EQ(image->name, "demo:latest");
  auto got = store->get("demo");
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->manifestBlob.digest, image->manifestBlob.digest);
  EXPECT_TRUE(store->get(image->manifestBlob.digest.str()));
  auto missing = store->get("nope");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("'nope:latest'"), std::string::npos);
  EXPECT_EQ(store->list()->size(), 1u);
  ASSERT_TRUE(store->remove("demo"));
  EXPECT_TRUE(store->list()->empty());
  EXPECT_FALSE(normalizeImageName("bad name"));
  EXPECT_EQ(*normalizeImageName("reg:5000/x"), "reg:5000/x:latest");
}

TEST(ImageStore, UnpackedLayerIsKeyedByBlobAndReused) {
  TempDir dir;
  StoreOptions options{dir.path(), 0, {}};
  options.unpack.preserveOwnership = false;
  auto store = ImageStore::open(options);
  auto layer = store->blobs().put(
      makeTar({{TarEntry::kFile, "etc/hostname", "box"}}, Compression::kGzip), kMediaTypeLayerGzip);
  auto path = store->unpackedLayer(*layer);
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(*path, dir.path() + "/unpacked/" + layer->digest.hex());
  EXPECT_EQ(slurp(*path + "/etc/hostname"), "box");
  EXPECT_EQ(*store->unpackedLayer(*layer), *path);
}

TEST(LayerUnpack, GzipAndZstdWithLinksAndModes) {
  for (auto c : {Compression::kNone, Compression::kGzip, Compression::kZstd}) {
    TempDir dir;
    auto tar = makeTar({{TarEntry::kDir, "usr/bin", "", 0755},
                        {TarEntry::kFile, "usr/bin/tool", "#!/bin/sh\n", 04755},
                        {TarEntry::kSymlink, "bin", "usr/bin"},
                        {TarEntry::kHardlink, "usr/bin/tool2", "usr/bin/tool"},
                        {TarEntry::kFifo, "run/fifo"},
                        {TarEntry::kFile, "deep/implicit/parent", "p"}},
                       c);
    auto stats = unpackInto(tar, dir.path());
    ASSERT_TRUE(stats) << stats.error().message;
    EXPECT_EQ(stats->entries, 6);
    struct stat st {};
    ASSERT_EQ(::stat((dir / "usr/bin/tool").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 04755u);
    EXPECT_EQ(st.st_nlink, 2u);
    EXPECT_EQ(fs::read_symlink(dir / "bin"), "usr/bin");
    EXPECT_TRUE(fs::is_fifo(dir / "run/fifo"));
    EXPECT_EQ(slurp(dir / "deep/implicit/parent"), "p");
  }
}

struct Malicious {
  const char* name;
  std::vector<TarEntry> entries;
  const char* expected;  // in the error message
};

TEST(LayerUnpack, RefusesMaliciousLayersNamingTheEntry) {
  std::vector<Malicious> cases = {
      {"zip-slip", {{TarEntry::kFile, "../../escaped", "x"}}, "'../../escaped'"},
      {"absolute", {{TarEntry::kFile, "/etc/cron.d/evil", "x"}}, "'/etc/cron.d/evil'"},
      {"device", {{TarEntry::kCharDevice, "dev/kmem"}}, "'dev/kmem' is a device node"},
      {"symlink out", {{TarEntry::kSymlink, "x", "../../../etc"}}, "points outside"},
      {"write through symlink",
       {{TarEntry::kSymlink, "etc", "/etc"}, {TarEntry::kFile, "etc/passwd", "root::0:0::/:"}},
       "goes through 'etc'"},
      {"hardlink out", {{TarEntry::kHardlink, "h", "../../etc/shadow"}}, "outside the layer"},
  };
  for (const auto& m : cases) {
    TempDir dir;
    auto r = unpackInto(makeTar(m.entries), dir / "root");
    ASSERT_FALSE(r) << m.name;
    EXPECT_NE(r.error().message.find(m.expected), std::string::npos)
        << m.name << ": " << r.error().message;
    EXPECT_FALSE(fs::exists(dir / "escaped")) << m.name;
  }
}

TEST(LayerUnpack, EnforcesSizeAndCountLimits) {
  TempDir dir;
  UnpackOptions options;
  options.limits.maxEntryBytes = 10;
  auto big =
      unpackInto(makeTar({{TarEntry::kFile, "big", std::string(11, 'x')}}), dir / "a", options);
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("'big'"), std::string::npos);
  options = {};
  options.limits.maxEntries = 2;
  auto many =
      unpackInto(makeTar({{TarEntry::kFile, "1"}, {TarEntry::kFile, "2"}, {TarEntry::kFile, "3"}}),
                 dir / "b", options);
  ASSERT_FALSE(many);
  EXPECT_NE(many.error().message.find("builds.max_layer_entries"), std::string::npos);
  auto garbage = unpackInto(std::string(1024, 'z'), dir / "c");
  ASSERT_FALSE(garbage);
}

TEST(LayerPack, RoundTripIsDeterministic) {
  TempDir dir;
  fs::create_directories(dir / "src/app/sub");
  std::ofstream(dir / "src/app/main.py") << "print('hi')\n";
  std::ofstream(dir / "src/app/sub/data") << std::string(100000, 'd');
  fs::create_symlink("main.py", dir / "src/app/link");
  fs::create_hard_link(dir / "src/app/main.py", dir / "src/app/hard");
  fs::create_symlink("F\xc5\x91t\xc3\xa1n\xc3\xba.pem", dir / "src/app/certificate");
  auto store = BlobStore::open(dir / "store");
  auto srcFd = openAt(AT_FDCWD, dir / "src", O_RDONLY | O_DIRECTORY);
  auto packed = packLayer(srcFd->get(), *store, {});
  ASSERT_TRUE(packed) << packed.error().message;
  EXPECT_EQ(packed->blob.mediaType, kMediaTypeLayerGzip);
  EXPECT_EQ(packed->entries, 7);
  auto again = packLayer(srcFd->get(), *store, {});
  EXPECT_EQ(again->blob.digest, packed->blob.digest);

  auto blob = store->openBlob(packed->blob.digest);
  fs::create_directories(dir / "out");
  auto outFd = openAt(AT_FDCWD, dir / "out", O_RDONLY | O_DIRECTORY);
  UnpackOptions options;
  options.preserveOwnership = false;
  ASSERT_TRUE(unpackLayer(blob->get(), outFd->get(), options));
  EXPECT_EQ(slurp(dir / "out/app/main.py"), "print('hi')\n");
  EXPECT_EQ(slurp(dir / "out/app/sub/data").size(), 100000u);
  EXPECT_EQ(fs::read_symlink(dir / "out/app/link"), "main.py");
  EXPECT_EQ(fs::hard_link_count(dir / "out/app/hard"), 2u);
  EXPECT_EQ(fs::read_symlink(dir / "out/app/certificate"), "F\xc5\x91t\xc3\xa1n\xc3\xba.pem");
}

TEST(LayerPack, RefusesOwnersOutsideTheIdRange) {
  TempDir dir;
  fs::create_directories(dir / "src");
  std::ofstream(dir / "src/f") << "x";
  auto store = BlobStore::open(dir / "store");
  auto srcFd = openAt(AT_FDCWD, dir / "src", O_RDONLY | O_DIRECTORY);
  PackOptions options;
  options.idShift = static_cast<int64_t>(::getuid()) + 1;
  auto packed = packLayer(srcFd->get(), *store, options);
  ASSERT_FALSE(packed);
  EXPECT_NE(packed.error().message.find("outside the build's user namespace"), std::string::npos);
}

TEST(LayerPack, StopsAtTheSizeLimitNamingTheFile) {
  TempDir dir;
  fs::create_directories(dir / "src");
  std::ofstream(dir / "src/a") << std::string(600, 'a');
  std::ofstream(dir / "src/b") << std::string(600, 'b');
  auto store = BlobStore::open(dir / "store");
  auto srcFd = openAt(AT_FDCWD, dir / "src", O_RDONLY | O_DIRECTORY);
  PackOptions options;
  options.maxBytes = 1200;
  ASSERT_TRUE(packLayer(srcFd->get(), *store, options));
  options.maxBytes = 1000;
  auto packed = packLayer(srcFd->get(), *store, options);
  ASSERT_FALSE(packed);
  EXPECT_NE(packed.error().message.find("grows past 1000 bytes at 'b' (builds.max_layer_bytes)"),
            std::string::npos)
      << packed.error().message;
}

// Found by tests/fuzz/layer_fuzzer: a damaged gzip stream for which libarchive reports an
// error without a message; unpacking must fail cleanly, not crash.
TEST(LayerUnpack, DamagedStreamWithoutErrorMessageFailsCleanly) {
  const std::string input(
      "\x1f\x8b\x08\x00\xd7\x52\x09\x6b\x02\xff\xed\xd3\xb1\x0a\x83\x50\x0c\x85\xe1\xcc\x3e\x45"
      "\xc7\xba\xb4\x09\x8a\x7d\x9e\x80\x8b\x43\xe5\x62\x6f\x07\xdf\xde\xb4\x14\x84\x2e\x4e\xf7"
      "\x2e\xfe\xdf\x92\x70\x32\x64\x3a\x9e\xd2\xfd\xe9\xd3\x7c\x4b\xab\x94\xa2\x61\xe8\xfb\xef"
      "\x0c\xff\x53\xd5\x6c\xdf\x3f\xb9\x45\xd4\xc9\x45\xa5\x82\xf7\x2b\xfb\x12\xef\xe5\x9c\xd2"
      "\x32\xcd\xf9\x6a\x6d\x23\x38\x23\x8f\xfe\x8f\x9e\xbd\xe4\x8f\xa3\xfe\xdb\x7e\xfb\xe5\x8f"
      "\x6e\x50\xfa\x5f\xc3\x58\x01\x2d\x03\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff"
      "\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x28\x67\x03\x8f\x40\x7c\xd8\x04\x28\x00\x00",
      154);
  TempDir dir;
  auto r = unpackInto(input, dir / "root");
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().message.empty());
}

}  // namespace
}  // namespace spacelet::agent::image
