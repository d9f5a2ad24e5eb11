// The template part of cgroup_fs.h: waitUntil.
#pragma once

#include <time.h>

#include <chrono>

namespace spacelet::sandbox::cgroup {

template <typename Check>
Result<bool> waitUntil(int timeoutMs, Check check) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  long pauseNs = 1000000;
  for (;;) {
    Result<bool> done = check();
    if (!done || *done) return done;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    struct timespec ts {
      0, pauseNs
    };
    ::nanosleep(&ts, nullptr);
    pauseNs = pauseNs * 2 > 100000000 ? 100000000 : pauseNs * 2;
  }
}

}  // namespace spacelet::sandbox::cgroup
