// GPU grants for the supervisor (see gpu_grant.h): the pure decision over inventory, stored
// grants and the waiting list, and the stored side (gpu_allocations through the store).
#include "agent/supervisor/gpu_grant.h"

#include <algorithm>

#include "agent/store/clock.h"
#include "agent/store/gpu_allocations.h"
#include "spacelet/base/log.h"

namespace spacelet::agent::supervisor {
namespace {

bool fits(const gpu::Gpu& g, const gpu::Request& request) {
  return g.kind == request.kind && gpu::modelMatches(request.model, g.model);
}

bool holds(const std::vector<gpu::Allocation>& current, const std::string& owner,
           const std::string& gpu) {
  return std::any_of(current.begin(), current.end(),
                     [&](const gpu::Allocation& a) { return a.owner == owner && a.gpu == gpu; });
}

// The allocator sees an owner's GPUs that it does not keep as held by someone else: they
// stay busy (its serving deployment uses them) without failing the owner's new request.
std::vector<gpu::Allocation> withoutOwner(const std::vector<gpu::Allocation>& current,
                                          const std::string& owner,
                                          const std::vector<std::string>& kept) {
  std::vector<gpu::Allocation> out;
  for (const auto& a : current) {
    if (a.owner != owner) {
      out.push_back(a);
    } else if (std::find(kept.begin(), kept.end(), a.gpu) == kept.end()) {
      out.push_back({owner + " (its running deployment)", a.gpu});
    }
  }
  return out;
}

}  // namespace

gpu::Request gpuRequest(const std::string& owner, const config::Flavor& flavor) {
  return {owner, static_cast<unsigned>(flavor.gpus), flavor.gpuKind, flavor.gpuModel};
}

std::vector<std::string> reusableGpus(const std::vector<gpu::Gpu>& inventory,
                                      const std::vector<gpu::Allocation>& current,
                                      const gpu::Request& request) {
  std::vector<std::string> out;
  for (const auto& g : inventory) {  // sorted in natural order
    if (out.size() == request.count) break;
    if (fits(g, request) && holds(current, request.owner, g.name)) out.push_back(g.name);
  }
  return out;
}

Result<gpu::Decision> decideGrant(const std::vector<gpu::Gpu>& inventory,
                                  const std::vector<gpu::Allocation>& current,
                                  const std::vector<gpu::Request>& earlier,
                                  const gpu::Request& request) {
  size_t total = std::count_if(inventory.begin(), inventory.end(),
                               [&](const gpu::Gpu& g) { return fits(g, request); });
  if (total < request.count) {
    std::string what = std::to_string(request.count) + " '" + request.kind + "'" +
                       (request.model.empty() ? "" : " of model '" + request.model + "'");
    return failInvalid("'" + request.owner + "' needs " + what + " but this node has " +
                       std::to_string(total) +
                       "; pick a flavor this node can serve (spacectl info lists its GPUs)");
  }
  auto kept = reusableGpus(inventory, current, request);
  if (kept.size() == request.count) return gpu::Decision{true, kept, ""};
  gpu::Request more = request;
  more.count = request.count - static_cast<unsigned>(kept.size());
  std::vector<gpu::Request> queue = earlier;
  queue.push_back(more);
  auto others = withoutOwner(current, request.owner, kept);
  for (const auto& e : earlier) others = withoutOwner(others, e.owner, {});
  gpu::Decision decision = gpu::allocateQueue(inventory, others, queue).back();
  if (!decision.granted) return decision;
  kept.insert(kept.end(), decision.gpus.begin(), decision.gpus.end());
  std::sort(kept.begin(), kept.end(), gpu::naturalLess);
  return gpu::Decision{true, kept, ""};
}

Result<std::unique_ptr<GpuGrants>> GpuGrants::open(
    const std::vector<std::string>& cdiDirs, store::Database& db,
    const std::map<std::string, gpu::HostGpu>& hostGpus) {
  auto registry = std::make_shared<const gpu::cdi::Registry>(gpu::cdi::loadRegistry({cdiDirs}));
  for (const auto& p : registry->problems()) {
    log::warning("skipped CDI spec '" + p.file + "': " + p.message);
  }
  auto inventory = gpu::buildInventory(*registry, hostGpus);
  std::unique_ptr<GpuGrants> grants(new GpuGrants(db, registry, std::move(inventory)));
  auto rows = store::loadGpuAllocations(db);
  if (!rows) return fail(std::move(rows).error().withContext("read the GPU grants"));
  for (const auto& r : *rows) grants->current_.push_back({r.space, r.gpu});
  log::info("GPUs: " + std::to_string(grants->inventory_.size()) + " in the CDI specs, " +
            std::to_string(grants->current_.size()) + " granted");
  return grants;
}

std::vector<gpu::Request> GpuGrants::waitingBefore(const std::string& owner) const {
  std::vector<gpu::Request> out;
  for (const auto& w : waiting_) {
    if (w.owner == owner) break;
    out.push_back(w);
  }
  return out;
}

Result<GpuGrants::Grant> GpuGrants::acquire(const std::string& owner,
                                            const config::Flavor& flavor) {
  gpu::Request request = gpuRequest(owner, flavor);
  auto decision = decideGrant(inventory_, current_, waitingBefore(owner), request);
  if (!decision) {
    stopWaiting(owner);
    return fail(std::move(decision).error());
  }
  if (!decision->granted) {
    auto it = std::find_if(waiting_.begin(), waiting_.end(),
                           [&](const gpu::Request& w) { return w.owner == owner; });
    if (it == waiting_.end()) {
      waiting_.push_back(request);
    } else {
      *it = request;
    }
    return Grant{false, {}, decision->reason};
  }
  // Granting never drops what the owner holds: its running deployment may still use it.
  std::vector<std::string> rows = held(owner);
  for (const auto& g : decision->gpus) {
    if (std::find(rows.begin(), rows.end(), g) == rows.end()) rows.push_back(g);
  }
  SPACELET_TRY(store(owner, rows));
  stopWaiting(owner);
  Grant grant{true, {}, ""};
  for (const auto& g : inventory_) {
    if (std::count(decision->gpus.begin(), decision->gpus.end(), g.name)) grant.gpus.push_back(g);
  }
  return grant;
}

Result<bool> GpuGrants::keepOnly(const std::string& owner, const std::vector<std::string>& gpus) {
  std::vector<std::string> keep;
  for (const auto& g : held(owner)) {
    if (std::find(gpus.begin(), gpus.end(), g) != gpus.end()) keep.push_back(g);
  }
  if (keep.size() == held(owner).size()) return false;
  SPACELET_TRY(store(owner, keep));
  return true;
}

Result<void> GpuGrants::store(const std::string& owner, const std::vector<std::string>& gpus) {
  SPACELET_TRY_CONTEXT(store::setGpuAllocations(db_, owner, gpus, store::nowMs()),
                       "store the GPUs of '" + owner + "'");
  std::erase_if(current_, [&](const gpu::Allocation& a) { return a.owner == owner; });
  for (const auto& g : gpus) current_.push_back({owner, g});
  return {};
}

void GpuGrants::stopWaiting(const std::string& owner) {
  std::erase_if(waiting_, [&](const gpu::Request& w) { return w.owner == owner; });
}

std::vector<std::string> GpuGrants::waiting() const {
  std::vector<std::string> out;
  for (const auto& w : waiting_) out.push_back(w.owner);
  return out;
}

std::vector<std::string> GpuGrants::held(const std::string& owner) const {
  std::vector<std::string> out;
  for (const auto& a : current_)
    if (a.owner == owner) out.push_back(a.gpu);
  return out;
}

nlohmann::json GpuGrants::usageJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& u : gpu::usage(inventory_, current_)) {
    nlohmann::json waiting = nlohmann::json::array();
    for (const auto& w : waiting_)
      if (fits(u.gpu, w)) waiting.push_back(w.owner);
    out.push_back({{"name", u.gpu.name},
                   {"kind", u.gpu.kind},
                   {"model", u.gpu.model},
                   {"uuid", u.gpu.uuid},
                   {"space", u.owner.empty() ? nlohmann::json() : nlohmann::json(u.owner)},
                   {"waiting", waiting}});
  }
  return out;
}

}  // namespace spacelet::agent::supervisor
