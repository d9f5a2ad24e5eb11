// cgroup v1 / hybrid planning (see v1_plan.h). One function per controller; each checks the
// controller is mounted and appends writes in the order the kernel accepts them.
#include "v1_plan.h"

#include "conversions.h"

namespace spacelet::sandbox::cgroup {
namespace {

constexpr char kMem[] = "linux.resources.memory";
constexpr char kCpu[] = "linux.resources.cpu";

struct Planner {
  const V1Context& ctx;
  std::vector<Write> writes;

  Result<void> require(const std::string& hierarchy, const std::string& field) const {
    if (ctx.hierarchies.count(hierarchy)) return {};
    return failInvalid(field + ": the '" + hierarchy +
                       "' cgroup controller is not mounted on this host; mount it or remove " +
                       "the field");
  }
  bool has(const std::string& hierarchy, const std::string& file) const {
    return ctx.fileState(hierarchy, file) != FileState::kAbsent;
  }
  void add(std::string hierarchy, std::string file, std::string value, std::string field) {
    writes.push_back(
        Write{std::move(hierarchy), std::move(file), std::move(value), std::move(field)});
  }
};

// memory.memsw.limit_in_bytes (memory+swap, the spec's own unit): the explicit swap, or, for
// a limit without one, the limit itself (no swap granted).
Result<std::optional<int64_t>> memswTarget(const Memory& m, const Planner& p) {
  std::optional<int64_t> target = m.swap;
  if (!target && m.limit) target = *m.limit;
  if (!target) return target;
  if (m.swap && *m.swap != -1 && (!m.limit || *m.limit == -1 || *m.swap < *m.limit)) {
    SPACELET_TRY(swapMaxV2(m.limit, m.swap));  // the same checks and messages as v2
  }
  if (!p.has("memory", "memory.memsw.limit_in_bytes")) {
    if (!m.swap) return std::optional<int64_t>();
    return failInvalid(std::string(kMem) + ".swap: this kernel has no swap accounting " +
                       "(memory.memsw.limit_in_bytes is missing); boot with swapaccount=1 or " +
                       "remove it");
  }
  return target;
}

Result<void> planMemoryLimits(const Memory& m, Planner& p) {
  auto memsw = memswTarget(m, p);
  SPACELET_TRY(memsw);
  auto addMemsw = [&] {
    if (*memsw) {
      p.add("memory", "memory.memsw.limit_in_bytes", std::to_string(**memsw),
            std::string(kMem) + ".swap");
    }
  };
  auto addLimit = [&] {
    if (m.limit) {
      p.add("memory", "memory.limit_in_bytes", std::to_string(*m.limit),
            std::string(kMem) + ".limit");
    }
  };
  // Raising: memsw first (it must stay >= the current limit); lowering: the limit first.
  bool memswFirst = *memsw && (**memsw == -1 ||
                               (p.ctx.currentMemoryLimit && *p.ctx.currentMemoryLimit < **memsw));
  if (memswFirst) {
    addMemsw();
    addLimit();
  } else {
    addLimit();
    addMemsw();
  }
  return {};
}

Result<void> checkMemoryFlags(const Memory& m, const Planner& p) {
  if (!m.useHierarchy.value_or(true)) {
    return failInvalid(std::string(kMem) + ".useHierarchy: this kernel always accounts " +
                       "hierarchically; remove it or set true");
  }
  if (m.checkBeforeUpdate.value_or(false) && m.limit && *m.limit > 0 && p.ctx.memoryUsage &&
      static_cast<uint64_t>(*m.limit) < *p.ctx.memoryUsage) {
    return failInvalid(std::string(kMem) + ".limit: '" + std::to_string(*m.limit) +
                       "' is below the current usage " + std::to_string(*p.ctx.memoryUsage) +
                       " and checkBeforeUpdate is set; raise the limit");
  }
  return {};
}

Result<void> planMemory(const Resources& r, Planner& p) {
  if (!r.memory) return {};
  const Memory& m = *r.memory;
  SPACELET_TRY(checkMemoryFlags(m, p));
  if (!m.limit && !m.reservation && !m.swap && !m.swappiness && !m.disableOomKiller) return {};
  SPACELET_TRY(p.require("memory", kMem));
  SPACELET_TRY(planMemoryLimits(m, p));
  if (m.reservation) {
    p.add("memory", "memory.soft_limit_in_bytes", std::to_string(*m.reservation),
          std::string(kMem) + ".reservation");
  }
  if (m.swappiness) {
    p.add("memory", "memory.swappiness", std::to_string(*m.swappiness),
          std::string(kMem) + ".swappiness");
  }
  if (m.disableOomKiller) {
    p.add("memory", "memory.oom_control", *m.disableOomKiller ? "1" : "0",
          std::string(kMem) + ".disableOOMKiller");
  }
  return {};
}

Result<void> planCpuTime(const Cpu& c, Planner& p) {
  const std::string f = kCpu;
  if (c.shares) p.add("cpu", "cpu.shares", std::to_string(*c.shares), f + ".shares");
  if (c.period) p.add("cpu", "cpu.cfs_period_us", std::to_string(*c.period), f + ".period");
  if (c.quota) p.add("cpu", "cpu.cfs_quota_us", std::to_string(*c.quota), f + ".quota");
  if (c.burst) {
    if (!p.has("cpu", "cpu.cfs_burst_us")) {
      return failInvalid(f + ".burst: this kernel has no cpu.cfs_burst_us; remove it");
    }
    p.add("cpu", "cpu.cfs_burst_us", std::to_string(*c.burst), f + ".burst");
  }
  if (c.idle) p.add("cpu", "cpu.idle", std::to_string(*c.idle), f + ".idle");
  // The period first: the runtime must fit in the (new) period.
  if (c.realtimePeriod) {
    p.add("cpu", "cpu.rt_period_us", std::to_string(*c.realtimePeriod), f + ".realtimePeriod");
  }
  if (c.realtimeRuntime) {
    p.add("cpu", "cpu.rt_runtime_us", std::to_string(*c.realtimeRuntime), f + ".realtimeRuntime");
  }
  return {};
}

Result<void> planCpu(const Resources& r, Planner& p) {
  if (!r.cpu) return {};
  const Cpu& c = *r.cpu;
  if (c.shares || c.quota || c.period || c.burst || c.idle || c.realtimePeriod ||
      c.realtimeRuntime) {
    SPACELET_TRY(p.require("cpu", kCpu));
    SPACELET_TRY(planCpuTime(c, p));
  }
  if (c.cpus || c.mems) SPACELET_TRY(p.require("cpuset", kCpu));
  if (c.cpus) p.add("cpuset", "cpuset.cpus", *c.cpus, std::string(kCpu) + ".cpus");
  if (c.mems) p.add("cpuset", "cpuset.mems", *c.mems, std::string(kCpu) + ".mems");
  return {};
}

Result<void> planPidsAndBlkio(const Resources& r, Planner& p) {
  if (r.pidsLimit) {
    SPACELET_TRY(p.require("pids", "linux.resources.pids.limit"));
    p.add("pids", "pids.max", maxOrNumber(*r.pidsLimit), "linux.resources.pids.limit");
  }
  if (r.blockIoWeight) {
    const std::string field = "linux.resources.blockIO.weight";
    SPACELET_TRY(p.require("blkio", field));
    std::string file = p.has("blkio", "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
    if (!p.has("blkio", file)) {
      return failInvalid(field + ": this kernel has no blkio weight (no CFQ/BFQ scheduler); " +
                         "remove it");
    }
    p.add("blkio", file, std::to_string(*r.blockIoWeight), field);
  }
  return {};
}

Result<void> planHugepages(const Resources& r, Planner& p) {
  for (size_t i = 0; i < r.hugepageLimits.size(); ++i) {
    const auto& [size, limit] = r.hugepageLimits[i];
    std::string field = "linux.resources.hugepageLimits[" + std::to_string(i) + "]";
    // On a hybrid host hugetlb may live on the v2 mount (it does on the development VMs).
    bool onV1 = p.ctx.hierarchies.count("hugetlb") > 0;
    if (!onV1 && !p.ctx.unifiedControllers.count("hugetlb"))
      SPACELET_TRY(p.require("hugetlb", field));
    std::string hierarchy = onV1 ? "hugetlb" : kUnifiedHierarchy;
    std::string file = "hugetlb." + size + (onV1 ? ".limit_in_bytes" : ".max");
    if (!p.has(hierarchy, file)) {
      return failInvalid(field + ".pageSize: '" + size + "' is not a huge page size of this " +
                         "host (no '" + file + "'); use one listed in /sys/kernel/mm/hugepages");
    }
    p.add(hierarchy, file, std::to_string(limit), field);
  }
  return {};
}

Result<void> planUnified(const Resources& r, Planner& p) {
  for (const auto& [key, value] : r.unified) {
    std::string controller = controllerOf(key);
    if (p.ctx.hierarchies.count(controller)) {
      return failInvalid(unifiedField(key) + ": the '" + controller + "' controller is on " +
                         "cgroup v1 on this host, so the unified map cannot set it; use the " +
                         "typed linux.resources fields (or run on a cgroup v2 host)");
    }
    auto state = [&](const std::string& file) { return p.ctx.fileState(kUnifiedHierarchy, file); };
    SPACELET_TRY(checkUnifiedKey(key, p.ctx.unifiedControllers, state));
    p.add(kUnifiedHierarchy, key, value, unifiedField(key));
  }
  return {};
}

std::string deviceNumber(int64_t n) {
  return n < 0 ? "*" : std::to_string(n);
}

}  // namespace

std::vector<Write> planV1Devices(const std::vector<DeviceRule>& rules) {
  std::vector<Write> writes;
  if (rules.empty()) return writes;
  const std::string field = "linux.resources.devices";
  writes.push_back(Write{"devices", "devices.deny", "a", field});
  for (size_t i = 0; i < rules.size(); ++i) {
    const DeviceRule& d = rules[i];
    std::string file = d.allow ? "devices.allow" : "devices.deny";
    std::string f = field + "[" + std::to_string(i) + "]";
    bool wildcard = d.major < 0 && d.minor < 0 && d.access.size() == 3;
    if (d.type == 'a' && wildcard) {
      writes.push_back(Write{"devices", file, "a", f});
      continue;
    }
    // The kernel reads a leading 'a' as "everything", whatever follows; spell it as b + c.
    std::string numbers = " ";
    numbers.append(deviceNumber(d.major)).append(":").append(deviceNumber(d.minor)).append(" ");
    for (char type : d.type == 'a' ? std::string("bc") : std::string(1, d.type)) {
      writes.push_back(Write{"devices", file, type + numbers + d.access, f});
    }
  }
  return writes;
}

Result<std::vector<Write>> planV1(const Resources& resources, const V1Context& context) {
  Planner p{context, {}};
  SPACELET_TRY(planMemory(resources, p));
  SPACELET_TRY(planCpu(resources, p));
  SPACELET_TRY(planPidsAndBlkio(resources, p));
  if (!resources.devices.empty()) {
    SPACELET_TRY(p.require("devices", "linux.resources.devices"));
    for (Write& w : planV1Devices(resources.devices)) p.writes.push_back(std::move(w));
  }
  SPACELET_TRY(planHugepages(resources, p));
  SPACELET_TRY(planUnified(resources, p));
  return std::move(p.writes);
}

}  // namespace spacelet::sandbox::cgroup
