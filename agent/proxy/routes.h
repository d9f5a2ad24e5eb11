// The front proxy's routing table: which backend (a deployment's address:app_port) serves
// each Space host ("alice-demo.localhost"). The agent writes it atomically with a rising
// generation number; spacelet-proxy reloads it on change and acknowledges the generation it
// serves in a second file, so the agent stops an old deployment only after traffic moved.
// Pure codec and lookup; thin file helpers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "spacelet/base/error.h"

namespace spacelet::agent::proxy {

struct Routes {
  uint64_t generation = 0;
  std::map<std::string, std::string> backends;  // lowercase host -> "ip:port"

  bool operator==(const Routes&) const = default;
};

std::string toJson(const Routes& routes);
Result<Routes> routesFromJson(std::string_view text);

// The Host header's name part, lowercased, without port or trailing dot:
// "Alice-Demo.localhost:8000"
// -> "alice-demo.localhost". Pure.
std::string normalizeHost(std::string_view host);
// The backend for a Host header value, if any. Pure.
std::optional<std::string> lookup(const Routes& routes, std::string_view hostHeader);

Result<void> writeRoutes(const std::string& path, const Routes& routes);
Result<Routes> readRoutes(const std::string& path);
// The acknowledgement file: the generation the proxy serves.
Result<void> writeAck(const std::string& path, uint64_t generation);
Result<uint64_t> readAck(const std::string& path);

}  // namespace spacelet::agent::proxy
