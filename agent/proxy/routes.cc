// Routes file codec and host lookup (see routes.h).
#include "agent/proxy/routes.h"

#include <fcntl.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "spacelet/base/file_io.h"

namespace spacelet::agent::proxy {

std::string toJson(const Routes& routes) {
  nlohmann::json j = {{"generation", routes.generation}, {"backends", routes.backends}};
  return j.dump(1) + "\n";
}

Result<Routes> routesFromJson(std::string_view text) {
  try {
    auto j = nlohmann::json::parse(text);
    Routes routes;
    routes.generation = j.at("generation").get<uint64_t>();
    for (const auto& [host, backend] : j.at("backends").items()) {
      routes.backends[normalizeHost(host)] = backend.get<std::string>();
    }
    return routes;
  } catch (const std::exception& e) {
    return failInvalid(std::string("routes: ") + e.what());
  }
}

std::string normalizeHost(std::string_view host) {
  while (!host.empty() && (host.front() == ' ' || host.front() == '\t')) host.remove_prefix(1);
  while (!host.empty() && (host.back() == ' ' || host.back() == '\t')) host.remove_suffix(1);
  if (!host.empty() && host.front() != '[') {  // an IPv6 literal keeps its colons
    if (auto colon = host.rfind(':'); colon != std::string_view::npos) host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  std::string out(host);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::string> lookup(const Routes& routes, std::string_view hostHeader) {
  auto it = routes.backends.find(normalizeHost(hostHeader));
  if (it == routes.backends.end()) return std::nullopt;
  return it->second;
}

Result<void> writeRoutes(const std::string& path, const Routes& routes) {
  return writeFileAtomicAt(AT_FDCWD, path, toJson(routes), 0644);
}

Result<Routes> readRoutes(const std::string& path) {
  auto text = readFileAt(AT_FDCWD, path);
  if (!text) return fail(std::move(text).error());
  auto routes = routesFromJson(*text);
  if (!routes) return fail(std::move(routes).error().withContext("read '" + path + "'"));
  return routes;
}

Result<void> writeAck(const std::string& path, uint64_t generation) {
  return writeFileAtomicAt(AT_FDCWD, path, std::to_string(generation) + "\n", 0644);
}

Result<uint64_t> readAck(const std::string& path) {
  auto text = readFileAt(AT_FDCWD, path);
  if (!text) return fail(std::move(text).error());
  try {
    return static_cast<uint64_t>(std::stoull(*text));
  } catch (const std::exception&) {
    return failInvalid("'" + path + "' holds no generation number");
  }
}

}  // namespace spacelet::agent::proxy
