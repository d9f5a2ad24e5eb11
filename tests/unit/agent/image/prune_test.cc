// Unit tests of garbage collection and the watermark arithmetic, in a temp store.
#include "agent/image/prune.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "test_env.h"
#include "test_tar.h"

namespace spacelet::agent::image {
namespace {
using testing::makeTar;
using testing::TarEntry;
namespace fs = std::filesystem;

TEST(Watermarks, BytesToFreeOnlyAboveTheHighMark) {
  Watermarks marks{0.9, 0.8};
  EXPECT_EQ(bytesOverWatermark({1000, 200}, marks), 0);   // 80% used
  EXPECT_EQ(bytesOverWatermark({1000, 50}, marks), 150);  // 95% used -> down to 800
  EXPECT_EQ(bytesOverWatermark({0, 0}, marks), 0);
}

TEST(Watermarks, CacheGoesBeforeImagesOldestFirst) {
  using K = PruneCandidate::Kind;
  auto order = pruneOrder({{K::kImage, "old-image", 1},
                           {K::kBuildCache, "new-cache", 50},
                           {K::kImage, "new-image", 100},
                           {K::kBuildCache, "old-cache", 5}});
  std::vector<std::string> ids;
  for (const auto& c : order) ids.push_back(c.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"old-cache", "new-cache", "old-image", "new-image"}));
}

TEST(CollectGarbage, RemovesWhatNoImageOrRootReaches) {
  spacelet::testing::TempDir dir;
  StoreOptions options{dir.path(), 0, {}};
  options.unpack.preserveOwnership = false;
  auto store = ImageStore::open(options);
  auto commitOne = [&](const std::string& name, const std::string& content) {
    auto layer =
        store->blobs().put(makeTar({{TarEntry::kFile, name, content}}), kMediaTypeLayerTar);
    ImageConfig config;
    config.diffIds = {layer->digest};
    EXPECT_TRUE(store->commit(name, config, {*layer}));
    EXPECT_TRUE(store->unpackedLayer(*layer));
    return *layer;
  };
  Descriptor kept = commitOne("kept", "a");
  Descriptor dropped = commitOne("dropped", "b");
  auto cached = store->blobs().put(makeTar({{TarEntry::kFile, "c", "c"}}), kMediaTypeLayerTar);
  auto orphan = store->blobs().put("orphan", kMediaTypeConfig);
  ASSERT_TRUE(store->remove("dropped"));
  auto report = collectGarbage(*store, {cached->digest});
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->blobsRemoved, 4);  // dropped's layer, config and manifest; the orphan
  EXPECT_EQ(report->layersRemoved, 1);
  EXPECT_GT(report->bytesFreed, 0);
  EXPECT_TRUE(store->blobs().has(kept.digest));
  EXPECT_TRUE(store->blobs().has(cached->digest));
  EXPECT_FALSE(store->blobs().has(dropped.digest));
  EXPECT_FALSE(store->blobs().has(orphan->digest));
  EXPECT_FALSE(fs::exists(store->unpackedRoot() + "/" + dropped.digest.hex()));
  EXPECT_TRUE(fs::exists(store->unpackedRoot() + "/" + kept.digest.hex()));
  EXPECT_TRUE(store->get("kept"));
}

}  // namespace
}  // namespace spacelet::agent::image
