// /proc/self/cgroup parsing, layout classification and cgroup path rules.
#include "hierarchy.h"

#include <gtest/gtest.h>

namespace spacelet::sandbox::cgroup {
namespace {

constexpr char kHybrid[] =
    "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/abc\n2:cpu,cpuacct:/x\n0::/\n";

TEST(ProcCgroup, ParsesV1ListsAndTheV2Line) {
  auto p = parseProcCgroup(kHybrid);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->unified, "/");
  EXPECT_EQ(p->byList.at("memory"), "/process_api/abc");
  EXPECT_EQ(p->byList.at("cpu,cpuacct"), "/x");
  EXPECT_EQ(p->byList.at("name=systemd"), "/");
}

TEST(ProcCgroup, PureV2AndMalformed) {
  auto p = parseProcCgroup("0::/user.slice/session-1.scope\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->unified, "/user.slice/session-1.scope");
  EXPECT_TRUE(p->byList.empty());
  EXPECT_FALSE(parseProcCgroup("garbage\n"));
  EXPECT_FALSE(parseProcCgroup("0::relative\n"));
}

TEST(Layout, Classification) {
  auto v2 = classifyLayout(FsKind::kCgroup2, {});
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->mode, Mode::kUnified);
  EXPECT_EQ(v2->unifiedDir, ".");

  auto hybrid = classifyLayout(FsKind::kOther, {{"cpu,cpuacct", FsKind::kCgroup1},
                                                {"memory", FsKind::kCgroup1},
                                                {"systemd", FsKind::kCgroup1},
                                                {"unified", FsKind::kCgroup2},
                                                {"misc-dir", FsKind::kOther}});
  ASSERT_TRUE(hybrid);
  EXPECT_EQ(hybrid->mode, Mode::kHybrid);
  EXPECT_EQ(hybrid->unifiedDir, "unified");
  ASSERT_EQ(hybrid->v1.size(), 2u);
  EXPECT_EQ(hybrid->v1[0].controllers, (std::set<std::string>{"cpu", "cpuacct"}));

  auto legacy = classifyLayout(FsKind::kOther, {{"memory", FsKind::kCgroup1}});
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->mode, Mode::kLegacy);

  auto none = classifyLayout(FsKind::kOther, {{"x", FsKind::kOther}});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("no cgroup controllers are mounted"), std::string::npos);
}

TEST(Layout, OwnPathMatchesTheControllerList) {
  auto p = parseProcCgroup(kHybrid);
  ASSERT_TRUE(p);
  EXPECT_EQ(*ownPathFor(*p, V1Mount{"memory", {"memory"}}), "/process_api/abc");
  EXPECT_EQ(*ownPathFor(*p, V1Mount{"cpu,cpuacct", {"cpu", "cpuacct"}}), "/x");
  EXPECT_FALSE(ownPathFor(*p, V1Mount{"cpu", {"cpu"}}));
}

TEST(CgroupPath, DefaultRelativeAndAbsolute) {
  EXPECT_EQ(*resolveCgroupPath("/", "", "web"), "/spacelet/web");
  EXPECT_EQ(*resolveCgroupPath("/process_api/abc", "", "web"), "/process_api/abc/spacelet/web");
  EXPECT_EQ(*resolveCgroupPath("/agent.service", "spaces/web", "x"), "/agent.service/spaces/web");
  EXPECT_EQ(*resolveCgroupPath("/process_api/abc", "/machine/web", "x"), "/machine/web");
}

TEST(CgroupPath, RefusesClimbingOut) {
  for (const char* bad : {"../escape", "a/../../b", "/a/./b", "a//b", "/"}) {
    auto r = resolveCgroupPath("/own", bad, "x");
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("linux.cgroupsPath: '" + std::string(bad) + "'"),
              std::string::npos);
  }
  EXPECT_FALSE(resolveCgroupPath("/own", "", "../x"));
}

TEST(CgroupPath, Helpers) {
  EXPECT_EQ(joinCgroupPath("/", "a"), "/a");
  EXPECT_EQ(joinCgroupPath("/a", "b/c"), "/a/b/c");
  EXPECT_TRUE(isWithin("/a/b", "/a"));
  EXPECT_TRUE(isWithin("/a", "/a"));
  EXPECT_FALSE(isWithin("/ab", "/a"));
  EXPECT_TRUE(isWithin("/anything", "/"));
}

}  // namespace
}  // namespace spacelet::sandbox::cgroup
