// The operator's per-Space policy: overrides (extra allowed or denied destinations) and
// published ports. Each edit is saved (fsynced) first, then applied to the table when the
// Space is attached; a detached Space gets it with its other elements at the next attach.
#include <algorithm>

#include "net_policy_impl.h"

namespace spacelet::netpolicy {
namespace {

using Impl = NetPolicy::Impl;

// The policy of a leased Space, created empty on first use.
SpacePolicy& policyOf(Impl& impl, const Lease& lease) {
  SpacePolicy& p = impl.policies[lease.ifname];
  p.spaceId = lease.spaceId;
  return p;
}

// Saves the edited policy and applies `document` when the Space is attached.
Result<void> saveAndApply(Impl& impl, const Lease& lease, const nlohmann::json& document) {
  SPACELET_TRY(impl.store.savePolicy(lease.ifname, impl.policies[lease.ifname]));
  SPACELET_TRY(impl.commit());
  return impl.applyIfAttached(lease, document);
}

// The Space that publishes hostPort, if any.
const Lease* publisherOf(const Impl& impl, uint16_t hostPort) {
  for (const auto& [ifname, policy] : impl.policies) {
    for (const auto& p : policy.published) {
      if (p.hostPort == hostPort) return impl.ipam.findByIfname(ifname);
    }
  }
  return nullptr;
}

}  // namespace

Result<void> NetPolicy::addOverride(std::string_view spaceId, const Override& override) {
  auto op = impl_->begin();
  if (!op) return fail(std::move(op).error());
  Result<void> missing;
  const Lease* lease = impl_->findLease(spaceId, missing);
  if (!lease) return missing;
  SpacePolicy& policy = policyOf(*impl_, *lease);
  auto& list = policy.overrides;
  if (std::find(list.begin(), list.end(), override) != list.end()) return {};
  list.push_back(override);
  return saveAndApply(*impl_, *lease,
                      renderOverride(true, impl_->rulesetSpaceOf(*lease), override));
}

Result<void> NetPolicy::removeOverride(std::string_view spaceId, const Override& override) {
  auto op = impl_->begin();
  if (!op) return fail(std::move(op).error());
  Result<void> missing;
  const Lease* lease = impl_->findLease(spaceId, missing);
  if (!lease) return missing;
  auto& list = policyOf(*impl_, *lease).overrides;
  auto it = std::find(list.begin(), list.end(), override);
  if (it == list.end()) {
    return fail(Error{ENOENT, "Space '" + std::string(spaceId) + "' has no override '" +
                                  override.toString() + "' (see spacelet-net show)"});
  }
  list.erase(it);
  return saveAndApply(*impl_, *lease,
                      renderOverride(false, impl_->rulesetSpaceOf(*lease), override));
}

Result<void> NetPolicy::publish(std::string_view spaceId, PublishedPort port) {
  if (port.hostPort == 0 || port.spacePort == 0) {
    return failInvalid("published port '" + std::to_string(port.hostPort) + ":" +
                       std::to_string(port.spacePort) + "': ports are 1 to 65535");
  }
  auto op = impl_->begin();
  if (!op) return fail(std::move(op).error());
  Result<void> missing;
  const Lease* lease = impl_->findLease(spaceId, missing);
  if (!lease) return missing;
  if (const Lease* other = publisherOf(*impl_, port.hostPort)) {
    return fail(Error{EADDRINUSE, "node port " + std::to_string(port.hostPort) +
                                      " is already published to Space '" + other->spaceId +
                                      "': unpublish it first"});
  }
  policyOf(*impl_, *lease).published.push_back(port);
  return saveAndApply(*impl_, *lease, renderPublished(true, impl_->rulesetSpaceOf(*lease), port));
}

Result<void> NetPolicy::unpublish(uint16_t hostPort) {
  auto op = impl_->begin();
  if (!op) return fail(std::move(op).error());
  const Lease* lease = publisherOf(*impl_, hostPort);
  if (!lease) {
    return fail(Error{ENOENT, "node port " + std::to_string(hostPort) + " is not published"});
  }
  auto& list = policyOf(*impl_, *lease).published;
  auto it = std::find_if(list.begin(), list.end(),
                         [&](const PublishedPort& p) { return p.hostPort == hostPort; });
  PublishedPort removed = *it;
  list.erase(it);
  RulesetSpace space = impl_->rulesetSpaceOf(*lease);
  return saveAndApply(*impl_, *lease, renderPublished(false, space, removed));
}

}  // namespace spacelet::netpolicy
