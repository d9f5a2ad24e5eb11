// allocate()/allocateQueue(): which GPUs match a request, which of those are held by others,
// and the lowest-named free ones to grant. Allocations naming GPUs that are no longer in the
// inventory (a spec removed) hold nothing.
#include "agent/gpu/allocator.h"

#include <algorithm>
#include <map>
#include <set>

namespace spacelet::agent::gpu {
namespace {

bool matches(const Gpu& gpu, const Request& request) {
  return gpu.kind == request.kind && modelMatches(request.model, gpu.model);
}

std::string describe(const Request& request) {
  std::string what = std::to_string(request.count) + " '" + request.kind + "'";
  if (!request.model.empty()) what += " of model '" + request.model + "'";
  return what;
}

std::map<std::string, std::string> holders(const std::vector<Allocation>& current) {
  std::map<std::string, std::string> out;
  for (const auto& a : current) out[a.gpu] = a.owner;
  return out;
}

std::vector<std::string> heldBy(const std::vector<Allocation>& current, const std::string& owner) {
  std::vector<std::string> out;
  for (const auto& a : current)
    if (a.owner == owner) out.push_back(a.gpu);
  return out;
}

// The owner's existing grant, if it fits the request; an error if it does not.
Result<std::optional<Decision>> existingGrant(const std::vector<Gpu>& inventory,
                                              const std::vector<Allocation>& current,
                                              const Request& request) {
  auto held = heldBy(current, request.owner);
  if (held.empty()) return std::optional<Decision>();
  size_t fitting = 0;
  for (const auto& gpu : inventory) {
    if (matches(gpu, request) && std::count(held.begin(), held.end(), gpu.name)) ++fitting;
  }
  if (fitting != held.size() || held.size() != request.count) {
    return failInvalid("'" + request.owner + "' already holds " + std::to_string(held.size()) +
                       " GPU(s) that do not fit a request for " + describe(request) +
                       "; release them first (stop the Space or finish its flavor change)");
  }
  std::sort(held.begin(), held.end(), naturalLess);
  return std::optional<Decision>(Decision{true, held, ""});
}

std::string waitingReason(const Request& request, size_t free, size_t total,
                          const std::set<std::string>& owners) {
  std::string reason = "waiting for GPU: needs " + describe(request) + ", " + std::to_string(free) +
                       " of " + std::to_string(total) + " free";
  if (owners.empty()) return reason + " (held for Spaces queued earlier)";
  std::string list;
  for (const auto& o : owners) list += (list.empty() ? "'" : ", '") + o + "'";
  return reason + " (in use by " + list + ")";
}

// Decides one request; `reserved` GPUs (wanted by earlier waiting requests) are not taken.
Result<Decision> decide(const std::vector<Gpu>& inventory, const std::vector<Allocation>& current,
                        const Request& request, const std::set<std::string>& reserved) {
  if (request.count == 0) return Decision{true, {}, ""};
  auto existing = existingGrant(inventory, current, request);
  if (!existing) return fail(std::move(existing).error());
  if (*existing) return **existing;
  auto held = holders(current);
  std::vector<std::string> free;
  std::set<std::string> owners;
  size_t total = 0;
  for (const auto& gpu : inventory) {
    if (!matches(gpu, request)) continue;
    ++total;
    if (auto h = held.find(gpu.name); h != held.end())
      owners.insert(h->second);
    else if (!reserved.count(gpu.name))
      free.push_back(gpu.name);
  }
  if (total < request.count) {
    return failInvalid("'" + request.owner + "' needs " + describe(request) +
                       " but this node has " + std::to_string(total) +
                       "; pick a flavor this node can serve");
  }
  if (free.size() < request.count) {
    return Decision{false, {}, waitingReason(request, free.size(), total, owners)};
  }
  free.resize(request.count);
  return Decision{true, free, ""};
}

}  // namespace

Result<Decision> allocate(const std::vector<Gpu>& inventory, const std::vector<Allocation>& current,
                          const Request& request) {
  return decide(inventory, current, request, {});
}

std::vector<Decision> allocateQueue(const std::vector<Gpu>& inventory,
                                    const std::vector<Allocation>& current,
                                    const std::vector<Request>& queue) {
  std::vector<Allocation> taken = current;
  std::set<std::string> reserved;
  std::vector<Decision> decisions;
  for (const auto& request : queue) {
    auto decision = decide(inventory, taken, request, reserved);
    if (!decision) {
      decisions.push_back(Decision{false, {}, decision.error().message});
      continue;
    }
    if (decision->granted) {
      for (const auto& gpu : decision->gpus) taken.push_back({request.owner, gpu});
    } else {
      for (const auto& gpu : inventory)
        if (matches(gpu, request)) reserved.insert(gpu.name);
    }
    decisions.push_back(std::move(*decision));
  }
  return decisions;
}

std::vector<GpuUsage> usage(const std::vector<Gpu>& inventory,
                            const std::vector<Allocation>& current) {
  auto held = holders(current);
  std::vector<GpuUsage> out;
  for (const auto& gpu : inventory) {
    auto h = held.find(gpu.name);
    out.push_back({gpu, h == held.end() ? "" : h->second});
  }
  return out;
}

}  // namespace spacelet::agent::gpu
