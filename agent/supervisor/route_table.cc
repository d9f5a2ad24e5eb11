// Writing the proxy's routes and waiting for its acknowledgement (see route_table.h).
#include "agent/supervisor/route_table.h"

#include <thread>

namespace spacelet::agent::supervisor {

Result<std::unique_ptr<RouteTable>> RouteTable::open(std::string routesFile, std::string ackFile) {
  std::unique_ptr<RouteTable> table(new RouteTable(std::move(routesFile), std::move(ackFile)));
  auto existing = proxy::readRoutes(table->routesFile_);
  if (existing) {
    table->routes_ = std::move(*existing);
  } else if (existing.error().code != ENOENT) {
    return fail(std::move(existing).error());
  }
  return table;
}

Result<uint64_t> RouteTable::commit() {
  if (!routes_.backends.empty() && proxyStarter_) proxyStarter_();
  routes_.generation++;
  SPACELET_TRY_CONTEXT(proxy::writeRoutes(routesFile_, routes_), "update the proxy's routes");
  return routes_.generation;
}

Result<uint64_t> RouteTable::set(const std::string& host, const std::string& backend) {
  std::lock_guard lock(mutex_);
  routes_.backends[proxy::normalizeHost(host)] = backend;
  return commit();
}

Result<uint64_t> RouteTable::remove(const std::string& host) {
  std::lock_guard lock(mutex_);
  if (routes_.backends.erase(proxy::normalizeHost(host)) == 0) return 0;  // nothing to unroute
  return commit();
}

Result<uint64_t> RouteTable::retain(const std::map<std::string, std::string>& keep) {
  std::lock_guard lock(mutex_);
  routes_.backends.clear();
  for (const auto& [host, backend] : keep) routes_.backends[proxy::normalizeHost(host)] = backend;
  return commit();
}

std::optional<std::string> RouteTable::backendOf(const std::string& host) const {
  std::lock_guard lock(mutex_);
  auto it = routes_.backends.find(proxy::normalizeHost(host));
  if (it == routes_.backends.end()) return std::nullopt;
  return it->second;
}

Result<void> RouteTable::waitApplied(uint64_t generation, std::chrono::milliseconds timeout) const {
  if (generation == 0) return {};  // no change was made
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto ack = proxy::readAck(ackFile_);
    if (ack && *ack >= generation) return {};
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(Error{ETIMEDOUT, "the front proxy did not load routes generation " +
                                       std::to_string(generation) +
                                       " (is spacelet-proxy running?)"});
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace spacelet::agent::supervisor
