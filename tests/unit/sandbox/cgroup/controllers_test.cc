// cgroup.subtree_control planning per ancestor level.
#include "controllers.h"

#include <gtest/gtest.h>

namespace spacelet::sandbox::cgroup {
namespace {

TEST(Controllers, WritableLevelEnablesWhatIsMissing) {
  LevelState level{"/", {"cpu", "io", "memory", "pids"}, {"memory"}, true};
  auto step = planLevel(level, {"memory", "pids"}, level.available);
  ASSERT_TRUE(step) << step.error().message;
  EXPECT_EQ(step->write, "+cpu +io +pids");
  auto onlyNeeded = planLevel(level, {"pids"}, {});
  ASSERT_TRUE(onlyNeeded);
  EXPECT_EQ(onlyNeeded->write, "+pids");
  auto nothing = planLevel(level, {"memory"}, {});
  ASSERT_TRUE(nothing);
  EXPECT_EQ(nothing->write, "");
}

TEST(Controllers, WritableLevelWithoutTheControllerNamesIt) {
  LevelState level{"/own", {"cpu"}, {}, true};
  auto step = planLevel(level, {"memory"}, {});
  ASSERT_FALSE(step);
  EXPECT_NE(step.error().message.find("controllers 'memory' are not available in cgroup '/own'"),
            std::string::npos);
}

TEST(Controllers, LevelsOutsideTheSubtreeAreOnlyChecked) {
  LevelState above{"/", {"cpu", "memory"}, {"cpu"}, false};
  auto step = planLevel(above, {"cpu"}, above.available);
  ASSERT_TRUE(step);
  EXPECT_EQ(step->write, "");  // never writes there, even what is wanted
  auto missing = planLevel(above, {"memory"}, {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message,
            "controllers 'memory' are not enabled in '/cgroup.subtree_control', which is "
            "outside the caller's cgroup; enable them there, or use a cgroupsPath below the "
            "caller's cgroup");
}

TEST(Controllers, ParseList) {
  EXPECT_EQ(parseControllerList("cpuset cpu io memory\n"),
            (std::set<std::string>{"cpu", "cpuset", "io", "memory"}));
  EXPECT_TRUE(parseControllerList("\n").empty());
}

}  // namespace
}  // namespace spacelet::sandbox::cgroup
