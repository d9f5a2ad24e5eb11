// Unit conversions for cgroup values (see conversions.h).
#include "conversions.h"

#include <cmath>
#include <cstdlib>

namespace spacelet::sandbox::cgroup {

uint64_t cpuSharesToWeight(uint64_t shares) {
  if (shares == 0) return 0;
  if (shares <= kMinCpuShares) return 1;
  if (shares >= kMaxCpuShares) return kMaxCpuWeight;
  // log2 maps [2, 262144] to [1, 18]; the quadratic in l puts 2 -> 10^0, 1024 -> 10^2 and
  // 262144 -> 10^4.
  double l = std::log2(static_cast<double>(shares));
  double exponent = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
  return static_cast<uint64_t>(std::ceil(std::pow(10.0, exponent)));
}

uint64_t blkioWeightToIoWeight(uint64_t weight) {
  if (weight == 0) return 0;
  return 1 + (weight - 10) * 9999 / 990;
}

Result<std::optional<std::string>> swapMaxV2(std::optional<int64_t> limit,
                                             std::optional<int64_t> swap) {
  bool limited = limit && *limit > 0;
  if (!swap) {
    if (limited) return std::optional<std::string>("0");
    if (limit && *limit == -1) return std::optional<std::string>("max");
    return std::optional<std::string>();
  }
  if (*swap == -1) return std::optional<std::string>("max");
  if (!limited) {
    return failInvalid("linux.resources.memory.swap: '" + std::to_string(*swap) +
                       "' needs a memory limit; set linux.resources.memory.limit too");
  }
  if (*swap < *limit) {
    return failInvalid("linux.resources.memory.swap: '" + std::to_string(*swap) +
                       "' is below the memory limit '" + std::to_string(*limit) +
                       "'; swap counts memory+swap, so it must be >= limit");
  }
  return std::optional<std::string>(std::to_string(*swap - *limit));
}

std::string maxOrNumber(int64_t value) {
  return value < 0 ? "max" : std::to_string(value);
}

namespace {

// Parses a decimal number at the front of `s`, advancing it. False when none is there.
bool takeNumber(std::string_view& s, unsigned long& out) {
  size_t n = 0;
  while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
  if (n == 0 || n > 9) return false;
  out = std::strtoul(std::string(s.substr(0, n)).c_str(), nullptr, 10);
  s.remove_prefix(n);
  return true;
}

}  // namespace

bool isCpuList(std::string_view list) {
  if (list.empty()) return false;
  for (;;) {
    unsigned long first = 0, last = 0;
    if (!takeNumber(list, first)) return false;
    if (!list.empty() && list.front() == '-') {
      list.remove_prefix(1);
      if (!takeNumber(list, last) || last < first) return false;
    }
    if (list.empty()) return true;
    if (list.front() != ',') return false;
    list.remove_prefix(1);
  }
}

std::string hugepageSizeName(uint64_t kib) {
  if (kib % (1024 * 1024) == 0) return std::to_string(kib / (1024 * 1024)) + "GB";
  if (kib % 1024 == 0) return std::to_string(kib / 1024) + "MB";
  return std::to_string(kib) + "KB";
}

}  // namespace spacelet::sandbox::cgroup
