// Unit tests of the pure layer-entry checks: normalization, escapes, devices, sizes,
// whiteout names.
#include "agent/image/layer_entry.h"

#include <gtest/gtest.h>

namespace spacelet::agent::image {
namespace {

EntryInfo entry(std::string path, EntryType type = EntryType::kFile, std::string link = "") {
  EntryInfo e;
  e.path = std::move(path);
  e.type = type;
  e.linkTarget = std::move(link);
  return e;
}

TEST(NormalizeEntryPath, StripsDotsAndSlashes) {
  EXPECT_EQ(*normalizeEntryPath("./usr//bin/", 4096), "usr/bin");
  EXPECT_EQ(*normalizeEntryPath("a/./b", 4096), "a/b");
  EXPECT_EQ(*normalizeEntryPath("./", 4096), "");
}

TEST(NormalizeEntryPath, RefusesEscapes) {
  auto dotdot = normalizeEntryPath("a/../../etc/passwd", 4096);
  ASSERT_FALSE(dotdot);
  EXPECT_NE(dotdot.error().message.find("'a/../../etc/passwd'"), std::string::npos);
  EXPECT_NE(dotdot.error().message.find("'..'"), std::string::npos);
  auto abs = normalizeEntryPath("/etc/passwd", 4096);
  ASSERT_FALSE(abs);
  EXPECT_NE(abs.error().message.find("absolute"), std::string::npos);
  EXPECT_FALSE(normalizeEntryPath("a/..", 4096));
  EXPECT_FALSE(normalizeEntryPath(std::string(5000, 'a'), 4096));
}

TEST(SymlinkEscapes, RelativeTargetsThatClimbOut) {
  EXPECT_TRUE(symlinkEscapes("link", "../etc"));
  EXPECT_TRUE(symlinkEscapes("a/b/link", "../../../x"));
  EXPECT_FALSE(symlinkEscapes("a/b/link", "../../x"));
  EXPECT_FALSE(symlinkEscapes("usr/bin/python", "python3.11"));
  // Absolute targets resolve inside the container's root.
  EXPECT_FALSE(symlinkEscapes("bin/sh", "/bin/busybox"));
  EXPECT_TRUE(symlinkEscapes("a/link", "x/../../.."));
}

TEST(PlanEntry, PlainEntriesAreCreated) {
  auto plan = planEntry(entry("./app/main.py"), {}, 0);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->action, EntryAction::kCreate);
  EXPECT_EQ(plan->path, "app/main.py");
  EXPECT_EQ(planEntry(entry("."), {}, 0)->action, EntryAction::kSkip);
}

TEST(PlanEntry, RefusesDeviceNodesNamingTheEntry) {
  auto plan = planEntry(entry("dev/sda", EntryType::kBlockDevice), {}, 0);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("'dev/sda'"), std::string::npos);
  EXPECT_NE(plan.error().message.find("device"), std::string::npos);
  EXPECT_FALSE(planEntry(entry("dev/mem", EntryType::kCharDevice), {}, 0));
}

TEST(PlanEntry, RefusesLinksOutside) {
  auto sym = planEntry(entry("app/evil", EntryType::kSymlink, "../../../etc/shadow"), {}, 0);
  ASSERT_FALSE(sym);
  EXPECT_NE(sym.error().message.find("points outside"), std::string::npos);
  EXPECT_FALSE(planEntry(entry("app/hl", EntryType::kHardlink, "../etc/shadow"), {}, 0));
  EXPECT_FALSE(planEntry(entry("app/hl", EntryType::kHardlink, "/etc/shadow"), {}, 0));
  auto ok = planEntry(entry("app/hl", EntryType::kHardlink, "./app/x"), {}, 0);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->linkTarget, "app/x");
}

TEST(PlanEntry, EnforcesSizeLimits) {
  UnpackLimits limits;
  limits.maxEntryBytes = 100;
  limits.maxLayerBytes = 150;
  EntryInfo big = entry("big");
  big.size = 101;
  auto tooBig = planEntry(big, limits, 0);
  ASSERT_FALSE(tooBig);
  EXPECT_NE(tooBig.error().message.find("'big'"), std::string::npos);
  EXPECT_NE(tooBig.error().message.find("builds.max_layer_file_bytes"), std::string::npos);
  EntryInfo mid = entry("mid");
  mid.size = 60;
  EXPECT_TRUE(planEntry(mid, limits, 80));
  auto total = planEntry(mid, limits, 100);
  ASSERT_FALSE(total);
  EXPECT_NE(total.error().message.find("max_layer_bytes"), std::string::npos);
}

TEST(PlanEntry, Whiteouts) {
  auto wh = planEntry(entry("etc/.wh.motd"), {}, 0);
  ASSERT_TRUE(wh);
  EXPECT_EQ(wh->action, EntryAction::kWhiteout);
  EXPECT_EQ(wh->path, "etc/motd");
  auto top = planEntry(entry(".wh.tmpfile"), {}, 0);
  EXPECT_EQ(top->path, "tmpfile");
  auto opq = planEntry(entry("var/cache/.wh..wh..opq"), {}, 0);
  ASSERT_TRUE(opq);
  EXPECT_EQ(opq->action, EntryAction::kOpaqueDir);
  EXPECT_EQ(opq->path, "var/cache");
  EXPECT_FALSE(planEntry(entry("etc/.wh."), {}, 0));
  EXPECT_FALSE(planEntry(entry("etc/.wh.."), {}, 0));
  EXPECT_FALSE(planEntry(entry("../.wh.x"), {}, 0));
}

}  // namespace
}  // namespace spacelet::agent::image
