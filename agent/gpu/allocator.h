// The exclusive GPU allocator: pure decisions over the inventory and the current allocations.
// It stores nothing. The agent keeps allocations (one row per granted GPU, so they survive a
// restart), calls allocate() under its own lock when a Space needs GPUs, writes the grant in
// the same transaction, and releases a Space's rows when it stops or changes flavor.
// Pure and thread-safe (no state); callers serialize allocate-then-store themselves.
#pragma once

#include <string>
#include <vector>

#include "agent/gpu/inventory.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::gpu {

// A Space asking for GPUs: its flavor's count, CDI kind and model ("" = any model).
struct Request {
  std::string owner;  // the Space id, e.g. "alice/chat"
  unsigned count = 0;
  std::string kind = "nvidia.com/gpu";
  std::string model;
};

// One granted GPU (a row in the agent's store).
struct Allocation {
  std::string owner;
  std::string gpu;  // Gpu::name
};

struct Decision {
  bool granted = false;
  std::vector<std::string> gpus;  // the GPUs granted (empty when waiting)
  std::string reason;             // why not, when waiting: "waiting for GPU: ..."
};

// Grants `request.count` free matching GPUs (lowest names first), or says why it must wait.
// A Space that already holds GPUs gets the same ones back (restart, re-adoption). Fails when
// the request can never be met on this node (more GPUs of that kind/model than exist), or when
// the owner holds GPUs that do not fit the request (release them first).
Result<Decision> allocate(const std::vector<Gpu>& inventory, const std::vector<Allocation>& current,
                          const Request& request);

// Decides a queue of waiting requests in order (oldest first). A request that must wait keeps
// the GPUs it could use from later requests, so a 2-GPU Space is not starved by 1-GPU ones.
// Requests that can never be met get granted=false with the reason. Returns one decision per
// request; the grants do not overlap each other or `current`.
std::vector<Decision> allocateQueue(const std::vector<Gpu>& inventory,
                                    const std::vector<Allocation>& current,
                                    const std::vector<Request>& queue);

// For /v1/info and `spacectl info`: every GPU with its holder ("" when free).
struct GpuUsage {
  Gpu gpu;
  std::string owner;
};
std::vector<GpuUsage> usage(const std::vector<Gpu>& inventory,
                            const std::vector<Allocation>& current);

}  // namespace spacelet::agent::gpu
