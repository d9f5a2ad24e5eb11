// The network policy's state directory: one lease file and one policy file per Space, a lock
// that serializes the agent and `spacelet-net`, and a generation counter that tells a process
// when another one changed the files. Layout (all under state_dir):
//   lock                       flock(2)ed for the length of every operation
//   generation                 bumped by every change (rewritten in place: it is only a hint);
//                              a process reloads when it differs
//   leases/<ifname>.json       {"space_id", "ifname", "index", "app_port"}
//   policy/<ifname>.json       {"space_id", "overrides": ["allow tcp ..."], "published": [...]}
// Leases are replaced atomically (temp file + rename) without fsync: they must survive an
// agent crash, which leaves Spaces running; after a power loss no Space network survives
// either, and a lost lease only means new addresses. Policy files are operator intent and are
// fsynced. Not thread-safe: NetPolicy serializes access.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipam.h"
#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"
#include "spacelet/netpolicy/net_policy.h"

namespace spacelet::netpolicy {

// An operator's settings for one Space.
struct SpacePolicy {
  std::string spaceId;
  std::vector<Override> overrides;
  std::vector<PublishedPort> published;
  bool empty() const { return overrides.empty() && published.empty(); }
};

// The file formats, pure so that tests pin them. Errors name the field.
nlohmann::json leaseToJson(const Lease& lease);
Result<Lease> leaseFromJson(const nlohmann::json& j);
nlohmann::json policyToJson(const SpacePolicy& policy);
Result<SpacePolicy> policyFromJson(const nlohmann::json& j);

class StateStore {
 public:
  // Creates the directory tree when missing.
  static Result<StateStore> open(const std::string& dir);

  // Holds the lock file's flock until destroyed.
  class Lock {
   public:
    explicit Lock(int fd) : fd_(fd) {}
    Lock(Lock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Lock& operator=(Lock&&) = delete;
    ~Lock();

   private:
    int fd_;  // borrowed from the StateStore
  };
  Result<Lock> lock();

  Result<uint64_t> generation() const;
  Result<uint64_t> bumpGeneration();

  // Every lease, with the file it came from. Zero-length files (a lease whose write a power
  // loss cut short) are deleted and skipped.
  Result<std::vector<std::pair<std::string, Lease>>> loadLeases() const;
  Result<void> saveLease(const Lease& lease);
  Result<void> removeLease(const std::string& ifname);
  // Policies by interface name.
  Result<std::map<std::string, SpacePolicy>> loadPolicies() const;
  Result<void> savePolicy(const std::string& ifname, const SpacePolicy& policy);
  Result<void> removePolicy(const std::string& ifname);

  const std::string& dir() const { return dir_; }

 private:
  StateStore(std::string dir, UniqueFd root, UniqueFd leases, UniqueFd policy, UniqueFd lock,
             UniqueFd generation)
      : dir_(std::move(dir)),
        root_(std::move(root)),
        leases_(std::move(leases)),
        policy_(std::move(policy)),
        lock_(std::move(lock)),
        generation_(std::move(generation)) {}

  std::string dir_;
  UniqueFd root_;
  UniqueFd leases_;
  UniqueFd policy_;
  UniqueFd lock_;
  UniqueFd generation_;
};

}  // namespace spacelet::netpolicy
