// The node's GPUs as the supervisor grants them: the CDI registry and inventory read at agent
// start, the grants kept in the store (table gpu_allocations, so they survive restarts) and
// the Spaces waiting for a GPU, oldest first. A Space asks before each deployment or restart
// of a GPU flavor and keeps what it holds when that still fits; when a job ends it keeps only
// what its serving deployment needs, and what it lets go goes to the waiting Spaces.
// Thread-safety: the event loop thread only (the store is the loop's); registry() is an
// immutable value that workers may share.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/config/config.h"
#include "agent/gpu/allocator.h"
#include "agent/gpu/cdi_registry.h"
#include "agent/gpu/inventory.h"
#include "agent/store/sqlite.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::supervisor {

// What a flavor asks of the allocator for `owner` (count 0 for CPU flavors).
gpu::Request gpuRequest(const std::string& owner, const config::Flavor& flavor);

// The GPUs `owner` holds that still serve `request`: matching ones, lowest first, at most
// request.count. Pure.
std::vector<std::string> reusableGpus(const std::vector<gpu::Gpu>& inventory,
                                      const std::vector<gpu::Allocation>& current,
                                      const gpu::Request& request);

// The decision for `request` given what is held and who waits before it (their requests,
// oldest first): what the owner already holds and still fits is kept, the rest is taken from
// free GPUs that earlier waiters cannot use. The owner's GPUs that no longer fit stay in use
// (by its serving deployment) until released. Fails when the node can never serve the
// request. Pure.
Result<gpu::Decision> decideGrant(const std::vector<gpu::Gpu>& inventory,
                                  const std::vector<gpu::Allocation>& current,
                                  const std::vector<gpu::Request>& earlier,
                                  const gpu::Request& request);

class GpuGrants {
 public:
  // Reads the CDI specs in `cdiDirs` (problems are logged and skipped) and the stored grants.
  // hostGpus: what the host driver says (models, uuids) for specs without annotations.
  static Result<std::unique_ptr<GpuGrants>> open(
      const std::vector<std::string>& cdiDirs, store::Database& db,
      const std::map<std::string, gpu::HostGpu>& hostGpus = {});

  struct Grant {
    bool granted = false;
    std::vector<gpu::Gpu> gpus;  // when granted
    std::string reason;          // when waiting: "waiting for GPU: ..."
  };
  // Grants what `flavor` needs to `owner` and stores it, or puts `owner` in the waiting list
  // (or keeps it there, with this request). Fails when the node can never serve the flavor.
  Result<Grant> acquire(const std::string& owner, const config::Flavor& flavor);
  // Keeps only those of owner's GPUs that are in `gpus` (its serving deployment's; empty when
  // none serves). Returns whether any GPU was released.
  Result<bool> keepOnly(const std::string& owner, const std::vector<std::string>& gpus);
  void stopWaiting(const std::string& owner);
  // Owners waiting, oldest first.
  std::vector<std::string> waiting() const;
  std::vector<std::string> held(const std::string& owner) const;
  // For /v1/info: [{name, kind, model, uuid, space (null when free), waiting: [...]}].
  nlohmann::json usageJson() const;
  std::shared_ptr<const gpu::cdi::Registry> registry() const { return registry_; }
  const std::vector<gpu::Gpu>& inventory() const { return inventory_; }

 private:
  GpuGrants(store::Database& db, std::shared_ptr<const gpu::cdi::Registry> registry,
            std::vector<gpu::Gpu> inventory)
      : db_(db), registry_(std::move(registry)), inventory_(std::move(inventory)) {}
  Result<void> store(const std::string& owner, const std::vector<std::string>& gpus);
  std::vector<gpu::Request> waitingBefore(const std::string& owner) const;

  store::Database& db_;
  std::shared_ptr<const gpu::cdi::Registry> registry_;
  std::vector<gpu::Gpu> inventory_;
  std::vector<gpu::Allocation> current_;  // mirrors the table
  std::vector<gpu::Request> waiting_;     // oldest first
};

}  // namespace spacelet::agent::supervisor
