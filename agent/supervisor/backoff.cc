// The crash restart schedule (see backoff.h).
#include "agent/supervisor/backoff.h"

#include <algorithm>

namespace spacelet::agent::supervisor {

std::chrono::seconds CrashBackoff::crashed(Clock::time_point now) {
  if (healthySince_ && now - *healthySince_ >= policy_.resetAfter) consecutive_ = 0;
  healthySince_.reset();
  ++crashes_;
  int streak = consecutive_++;
  if (streak == 0) return std::chrono::seconds(0);
  // 10 s, 20 s, 40 s, ... capped; the shift is bounded so it cannot overflow.
  int shift = std::min(streak - 1, 20);
  auto delay = policy_.initial * (int64_t{1} << shift);
  return std::min(delay, policy_.max);
}

void CrashBackoff::reset() {
  healthySince_.reset();
  consecutive_ = 0;
  crashes_ = 0;
}

}  // namespace spacelet::agent::supervisor
