// Tests of the sd-event wrapper: timers fire and re-arm, deferred calls run once, work posted
// from other threads runs on the loop thread, sources stop when destroyed.
#include "agent/daemon/event_loop.h"

#include <gtest/gtest.h>

#include <thread>

namespace spacelet::agent::daemon {
namespace {

using namespace std::chrono_literals;

TEST(EventLoop, TimersRearmAndExit) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop) << loop.error().message;
  int fired = 0;
  Source timer;
  auto t = (*loop)->addTimer(1ms, [&] {
    if (++fired < 3) {
      ASSERT_TRUE(timer.rearm(1ms));
    } else {
      (*loop)->exit(7);
    }
  });
  ASSERT_TRUE(t);
  timer = std::move(*t);
  auto rc = (*loop)->run();
  ASSERT_TRUE(rc);
  EXPECT_EQ(*rc, 7);
  EXPECT_EQ(fired, 3);
}

TEST(EventLoop, PostFromOtherThreadsRunsOnTheLoop) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  std::thread::id loopThread = std::this_thread::get_id();
  int ran = 0;
  bool onLoop = true;
  std::vector<std::thread> workers;
  for (int i = 0; i < 4; ++i) {
    workers.emplace_back([&] {
      (*loop)->post([&] {
        onLoop = onLoop && std::this_thread::get_id() == loopThread;
        if (++ran == 4) (*loop)->exit(0);
      });
    });
  }
  auto rc = (*loop)->run();
  for (auto& w : workers) w.join();
  ASSERT_TRUE(rc);
  EXPECT_EQ(ran, 4);
  EXPECT_TRUE(onLoop);
}

TEST(EventLoop, DeferRunsOnceAndDestroyedSourcesStayQuiet) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  int deferred = 0, cancelled = 0;
  auto d = (*loop)->addDefer([&] { ++deferred; });
  ASSERT_TRUE(d);
  {
    auto gone = (*loop)->addTimer(1ms, [&] { ++cancelled; });
    ASSERT_TRUE(gone);
  }  // destroyed before the loop runs
  auto stop = (*loop)->addTimer(20ms, [&] { (*loop)->exit(0); });
  ASSERT_TRUE(stop);
  ASSERT_TRUE((*loop)->run());
  EXPECT_EQ(deferred, 1);
  EXPECT_EQ(cancelled, 0);
}

}  // namespace
}  // namespace spacelet::agent::daemon
