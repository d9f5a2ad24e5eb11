// cgroup v2 planning (see v2_plan.h). Each section of linux.resources is one function that
// appends writes; fields v2 cannot express are refused with the reason and the fix.
#include "v2_plan.h"

#include "conversions.h"

namespace spacelet::sandbox::cgroup {
namespace {

constexpr char kMem[] = "linux.resources.memory";
constexpr char kCpu[] = "linux.resources.cpu";

struct Planner {
  const V2Context& ctx;
  std::vector<Write> writes;

  Result<void> require(const std::string& controller, const std::string& field) const {
    if (ctx.controllers.count(controller)) return {};
    return failInvalid(field + ": the '" + controller +
                       "' controller is not available in this cgroup; enable it in the " +
                       "parent's cgroup.subtree_control (or delegate it to the caller)");
  }
  void add(std::string file, std::string value, std::string field) {
    writes.push_back(Write{"", std::move(file), std::move(value), std::move(field)});
  }
};

Result<void> refuseV1OnlyMemory(const Memory& m) {
  if (m.swappiness) {
    return failInvalid(std::string(kMem) +
                       ".swappiness: cgroup v2 has no per-cgroup swappiness; remove it");
  }
  if (m.disableOomKiller.value_or(false)) {
    return failInvalid(std::string(kMem) +
                       ".disableOOMKiller: cgroup v2 cannot disable the OOM killer; remove it");
  }
  if (!m.useHierarchy.value_or(true)) {
    return failInvalid(std::string(kMem) +
                       ".useHierarchy: cgroup v2 is always hierarchical; remove it or set true");
  }
  return {};
}

Result<void> checkBeforeUpdate(const Memory& m, const V2Context& ctx) {
  if (!m.checkBeforeUpdate.value_or(false) || !m.limit || *m.limit < 0 || !ctx.memoryCurrent) {
    return {};
  }
  if (static_cast<uint64_t>(*m.limit) >= *ctx.memoryCurrent) return {};
  return failInvalid(std::string(kMem) + ".limit: '" + std::to_string(*m.limit) +
                     "' is below the current usage " + std::to_string(*ctx.memoryCurrent) +
                     " and checkBeforeUpdate is set; raise the limit");
}

Result<void> planSwap(const Memory& m, Planner& p) {
  auto swapMax = swapMaxV2(m.limit, m.swap);
  SPACELET_TRY(swapMax);
  if (!*swapMax) return {};
  if (p.ctx.fileState("memory.swap.max") == FileState::kAbsent) {
    // Without swap accounting nothing can swap beyond the limit anyway; only an explicit
    // request for a swap limit is an error.
    if (!m.swap) return {};
    return failInvalid(std::string(kMem) + ".swap: this kernel has no memory.swap.max (swap " +
                       "accounting is off); remove it or enable CONFIG_MEMCG_SWAP");
  }
  p.add("memory.swap.max", **swapMax, std::string(kMem) + ".swap");
  return {};
}

Result<void> planMemory(const Resources& r, Planner& p) {
  if (!r.memory) return {};
  const Memory& m = *r.memory;
  SPACELET_TRY(refuseV1OnlyMemory(m));
  if (!m.limit && !m.reservation && !m.swap) return {};
  SPACELET_TRY(p.require("memory", kMem));
  SPACELET_TRY(checkBeforeUpdate(m, p.ctx));
  if (m.limit) p.add("memory.max", maxOrNumber(*m.limit), std::string(kMem) + ".limit");
  if (m.reservation) {
    p.add("memory.low", maxOrNumber(*m.reservation), std::string(kMem) + ".reservation");
  }
  return planSwap(m, p);
}

std::string cpuMax(const Cpu& c) {
  std::string quota = c.quota && *c.quota > 0 ? std::to_string(*c.quota) : "max";
  if (c.period) quota.append(" ").append(std::to_string(*c.period));
  return quota;
}

Result<void> planCpu(const Resources& r, Planner& p) {
  if (!r.cpu) return {};
  const Cpu& c = *r.cpu;
  if (c.realtimeRuntime || c.realtimePeriod) {
    return failInvalid(std::string(kCpu) + ".realtimeRuntime/realtimePeriod: cgroup v2 has no " +
                       "real-time CPU budget; remove them");
  }
  if (c.shares || c.quota || c.period || c.burst || c.idle) SPACELET_TRY(p.require("cpu", kCpu));
  if (c.shares) {
    p.add("cpu.weight", std::to_string(cpuSharesToWeight(*c.shares)),
          std::string(kCpu) + ".shares");
  }
  if (c.quota || c.period) p.add("cpu.max", cpuMax(c), std::string(kCpu) + ".quota");
  if (c.burst) p.add("cpu.max.burst", std::to_string(*c.burst), std::string(kCpu) + ".burst");
  if (c.idle) p.add("cpu.idle", std::to_string(*c.idle), std::string(kCpu) + ".idle");
  if (c.cpus || c.mems) SPACELET_TRY(p.require("cpuset", kCpu));
  if (c.cpus) p.add("cpuset.cpus", *c.cpus, std::string(kCpu) + ".cpus");
  if (c.mems) p.add("cpuset.mems", *c.mems, std::string(kCpu) + ".mems");
  return {};
}

Result<void> planPidsAndIo(const Resources& r, Planner& p) {
  if (r.pidsLimit) {
    SPACELET_TRY(p.require("pids", "linux.resources.pids.limit"));
    p.add("pids.max", maxOrNumber(*r.pidsLimit), "linux.resources.pids.limit");
  }
  if (r.blockIoWeight) {
    SPACELET_TRY(p.require("io", "linux.resources.blockIO.weight"));
    // BFQ takes the v1 range as is; the generic io.weight wants [1, 10000].
    if (p.ctx.fileState("io.bfq.weight") != FileState::kAbsent) {
      p.add("io.bfq.weight", std::to_string(*r.blockIoWeight), "linux.resources.blockIO.weight");
    } else {
      p.add("io.weight", std::to_string(blkioWeightToIoWeight(*r.blockIoWeight)),
            "linux.resources.blockIO.weight");
    }
  }
  return {};
}

Result<void> planHugepages(const Resources& r, Planner& p) {
  for (size_t i = 0; i < r.hugepageLimits.size(); ++i) {
    const auto& [size, limit] = r.hugepageLimits[i];
    std::string field = "linux.resources.hugepageLimits[" + std::to_string(i) + "]";
    SPACELET_TRY(p.require("hugetlb", field));
    std::string file = "hugetlb." + size + ".max";
    if (p.ctx.fileState(file) == FileState::kAbsent) {
      return failInvalid(field + ".pageSize: '" + size + "' is not a huge page size of this " +
                         "host (no '" + file + "'); use one listed in /sys/kernel/mm/hugepages");
    }
    p.add(file, std::to_string(limit), field);
  }
  return {};
}

Result<void> planUnified(const Resources& r, Planner& p) {
  for (const auto& [key, value] : r.unified) {
    SPACELET_TRY(checkUnifiedKey(key, p.ctx.controllers, p.ctx.fileState));
    p.add(key, value, unifiedField(key));
  }
  return {};
}

}  // namespace

Result<std::vector<Write>> planV2(const Resources& resources, const V2Context& context) {
  Planner p{context, {}};
  SPACELET_TRY(planMemory(resources, p));
  SPACELET_TRY(planCpu(resources, p));
  SPACELET_TRY(planPidsAndIo(resources, p));
  SPACELET_TRY(planHugepages(resources, p));
  SPACELET_TRY(planUnified(resources, p));
  return std::move(p.writes);
}

std::set<std::string> neededControllersV2(const Resources& r) {
  std::set<std::string> needed;
  if (r.memory && (r.memory->limit || r.memory->reservation || r.memory->swap)) {
    needed.insert("memory");
  }
  if (r.cpu) {
    const Cpu& c = *r.cpu;
    if (c.shares || c.quota || c.period || c.burst || c.idle) needed.insert("cpu");
    if (c.cpus || c.mems) needed.insert("cpuset");
  }
  if (r.pidsLimit) needed.insert("pids");
  if (r.blockIoWeight) needed.insert("io");
  if (!r.hugepageLimits.empty()) needed.insert("hugetlb");
  for (const auto& [key, value] : r.unified) {
    std::string controller = controllerOf(key);
    if (!controller.empty() && controller != "cgroup") needed.insert(controller);
  }
  return needed;
}

}  // namespace spacelet::sandbox::cgroup
