// When a crashed app restarts: the first restart is immediate, then 10 s doubling to a 5 min
// cap; an app that ran healthy for 10 min before crashing starts again from "immediate".
// Pure: times are passed in (the supervisor's injectable clock), so tests step through a
// schedule without sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace spacelet::agent::supervisor {

using Clock = std::chrono::steady_clock;

struct BackoffPolicy {
  std::chrono::seconds initial{10};      // supervisor.backoff_initial
  std::chrono::seconds max{300};         // supervisor.backoff_max
  std::chrono::seconds resetAfter{600};  // supervisor.backoff_reset
};

class CrashBackoff {
 public:
  explicit CrashBackoff(BackoffPolicy policy = {}) : policy_(policy) {}

  // The app answered its health probe at `now`.
  void healthy(Clock::time_point now) { healthySince_ = now; }
  // The app exited at `now`: returns how long to wait before restarting it.
  std::chrono::seconds crashed(Clock::time_point now);
  // A deliberate start (new deployment, restart, resume) forgets earlier crashes.
  void reset();

  // Crashes since the last reset (what the runtime shows as restarts of this deployment).
  int64_t crashes() const { return crashes_; }
  // Crashes in the current streak (reset by a long healthy run).
  int consecutive() const { return consecutive_; }

 private:
  BackoffPolicy policy_;
  std::optional<Clock::time_point> healthySince_;
  int consecutive_ = 0;
  int64_t crashes_ = 0;
};

}  // namespace spacelet::agent::supervisor
