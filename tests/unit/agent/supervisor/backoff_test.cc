// The crash restart schedule, stepped with explicit times (no sleeping).
#include <gtest/gtest.h>

#include "agent/supervisor/backoff.h"

namespace spacelet::agent::supervisor {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

TEST(CrashBackoff, ImmediateThenDoublingFromTenSecondsToTheCap) {
  CrashBackoff backoff;
  Clock::time_point t{};
  std::vector<int64_t> delays;
  for (int i = 0; i < 9; ++i) {
    backoff.healthy(t);
    t += seconds(5);  // crashes after 5 s each time
    delays.push_back(backoff.crashed(t).count());
  }
  EXPECT_EQ(delays, (std::vector<int64_t>{0, 10, 20, 40, 80, 160, 300, 300, 300}));
  EXPECT_EQ(backoff.crashes(), 9);
}

TEST(CrashBackoff, TenMinutesHealthyResetsTheStreak) {
  CrashBackoff backoff;
  Clock::time_point t{};
  backoff.healthy(t);
  EXPECT_EQ(backoff.crashed(t += seconds(1)), seconds(0));
  backoff.healthy(t);
  EXPECT_EQ(backoff.crashed(t += seconds(1)), seconds(10));
  backoff.healthy(t);
  EXPECT_EQ(backoff.crashed(t += minutes(9)), seconds(20));  // 9 min is not enough
  backoff.healthy(t);
  EXPECT_EQ(backoff.crashed(t += minutes(10)), seconds(0));  // 10 min healthy: reset
  backoff.healthy(t);
  EXPECT_EQ(backoff.crashed(t += seconds(1)), seconds(10));
}

TEST(CrashBackoff, CrashWithoutEverBeingHealthyKeepsBackingOff) {
  CrashBackoff backoff;
  Clock::time_point t{};
  EXPECT_EQ(backoff.crashed(t), seconds(0));
  EXPECT_EQ(backoff.crashed(t += minutes(30)), seconds(10));  // never answered its probe
  EXPECT_EQ(backoff.consecutive(), 2);
}

TEST(CrashBackoff, PolicyIsConfigurableAndResetForgets) {
  CrashBackoff backoff(BackoffPolicy{seconds(1), seconds(3), seconds(60)});
  Clock::time_point t{};
  std::vector<int64_t> delays;
  for (int i = 0; i < 5; ++i) delays.push_back(backoff.crashed(t).count());
  EXPECT_EQ(delays, (std::vector<int64_t>{0, 1, 2, 3, 3}));
  backoff.reset();
  EXPECT_EQ(backoff.crashes(), 0);
  EXPECT_EQ(backoff.crashed(t), seconds(0));
}

}  // namespace
}  // namespace spacelet::agent::supervisor
