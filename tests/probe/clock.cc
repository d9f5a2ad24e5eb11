// The probe's "clock": CLOCK_MONOTONIC and CLOCK_BOOTTIME in seconds, so tests can see the
// offsets of a time namespace (linux.timeOffsets) from inside.
#include <time.h>

#include "probe.h"

namespace spacelet::probe {

nlohmann::json clocks(const Args&) {
  struct timespec monotonic {
  }, boottime{};
  ::clock_gettime(CLOCK_MONOTONIC, &monotonic);
  ::clock_gettime(CLOCK_BOOTTIME, &boottime);
  return {{"monotonic", monotonic.tv_sec}, {"boottime", boottime.tv_sec}};
}

}  // namespace spacelet::probe
