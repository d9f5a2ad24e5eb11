// The agent's side of the front proxy's routes file: one entry per Space host, replaced
// atomically at each switch with a rising generation, and a wait for the proxy to acknowledge
// that generation, so an old deployment is stopped only after new connections reach the new
// one. Thread-safe (one mutex); workers of different Spaces switch concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/proxy/routes.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::supervisor {

class RouteTable {
 public:
  // Loads the existing file (a restarted agent keeps serving routes and counting on).
  static Result<std::unique_ptr<RouteTable>> open(std::string routesFile, std::string ackFile);
  // Called (with the table's mutex held) before a table with routes is written: starts the
  // proxy when it is not running, so an agent that never serves a Space never starts one.
  void setProxyStarter(std::function<void()> starter) { proxyStarter_ = std::move(starter); }

  // Points host at backend ("ip:port"); returns the generation that carries the change.
  Result<uint64_t> set(const std::string& host, const std::string& backend);
  // Drops host's route; 0 when host had none (nothing changed, nothing to wait for).
  Result<uint64_t> remove(const std::string& host);
  // Hosts not in `keep` are dropped (agent start: routes of Spaces that are gone).
  Result<uint64_t> retain(const std::map<std::string, std::string>& keep);
  std::optional<std::string> backendOf(const std::string& host) const;

  // Waits until the proxy serves `generation` (or a later one); generation 0 is no change.
  // ETIMEDOUT otherwise.
  Result<void> waitApplied(uint64_t generation, std::chrono::milliseconds timeout) const;

 private:
  RouteTable(std::string routesFile, std::string ackFile)
      : routesFile_(std::move(routesFile)), ackFile_(std::move(ackFile)) {}
  Result<uint64_t> commit();  // with mutex_ held

  std::string routesFile_;
  std::string ackFile_;
  mutable std::mutex mutex_;
  proxy::Routes routes_;
  std::function<void()> proxyStarter_;
};

}  // namespace spacelet::agent::supervisor
