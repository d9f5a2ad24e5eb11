// Value conversions between the OCI spec's units and cgroup files, shared by the v1, v2 and
// systemd plans. Pure functions; the formulas follow runc/crun so that a bundle gets the same
// limits under every runtime.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "spacelet/base/error.h"

namespace spacelet::sandbox::cgroup {

inline constexpr uint64_t kMinCpuShares = 2;
inline constexpr uint64_t kMaxCpuShares = 262144;
inline constexpr uint64_t kMaxCpuWeight = 10000;

// cpu.shares [2, 262144] (default 1024) -> cpu.weight [1, 10000] (default 100). The
// log-quadratic mapping of opencontainers/cgroups (runc >= 1.3) and crun: it keeps the
// defaults aligned (1024 -> 100) and the ends fixed. 0 stays 0 ("unset").
uint64_t cpuSharesToWeight(uint64_t shares);

// blkio.weight [10, 1000] -> io.weight [1, 10000], linearly (runc's conversion).
uint64_t blkioWeightToIoWeight(uint64_t weight);

// The spec's swap is memory+swap; cgroup v2's memory.swap.max is swap alone. Returns the
// value for memory.swap.max ("max" or a byte count), or nothing to leave it alone. A limit
// without a swap value grants no swap ("0").
Result<std::optional<std::string>> swapMaxV2(std::optional<int64_t> limit,
                                             std::optional<int64_t> swap);

// -1 -> "max", otherwise the number.
std::string maxOrNumber(int64_t value);

// Whether `list` is a kernel cpu/node list: "0-3,5,7-8" (no spaces, ranges ascending).
bool isCpuList(std::string_view list);

// "2048kB" (a /sys/kernel/mm/hugepages entry's suffix) -> "2MB", the name cgroup files use.
std::string hugepageSizeName(uint64_t kib);

}  // namespace spacelet::sandbox::cgroup
