// Deployment paths and names (see layout.h).
#include "agent/supervisor/layout.h"

#include <cctype>

#include "agent/store/space_paths.h"

namespace spacelet::agent::supervisor {
namespace {

std::optional<int64_t> parseNumber(std::string_view text) {
  if (text.empty() || text.size() > 15) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::string DeploymentPaths::monitorState(int instance) const {
  return dir + "/monitor-" + std::to_string(instance) + ".json";
}

std::string repoPath(const std::string& stateDir, const store::SpaceId& id) {
  return store::spaceDir(stateDir, id) + "/repo.git";
}

std::string historyPath(const std::string& stateDir, const store::SpaceId& id) {
  return store::spaceDir(stateDir, id) + "/deployments.json";
}

std::string deploymentsDir(const std::string& stateDir, const store::SpaceId& id) {
  return store::spaceDir(stateDir, id) + "/deployments";
}

DeploymentPaths deploymentPaths(const std::string& stateDir, const store::SpaceId& id,
                                int64_t seq) {
  std::string dir = deploymentsDir(stateDir, id) + "/" + std::to_string(seq);
  return {dir, dir + "/src", dir + "/bundle", dir + "/build.log", dir + "/run.log"};
}

std::string containerId(const store::SpaceId& id, int64_t seq, int instance) {
  return id.author + "--" + id.name + "--" + std::to_string(seq) + "-" + std::to_string(instance);
}

std::string buildId(const store::SpaceId& id, int64_t seq) {
  return containerId(id, seq, 0) + "-build";
}

std::optional<ContainerRef> parseContainerId(std::string_view text) {
  size_t first = text.find("--");
  size_t second = first == std::string_view::npos ? first : text.find("--", first + 2);
  if (second == std::string_view::npos) return std::nullopt;
  std::string_view tail = text.substr(second + 2);
  size_t dash = tail.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto seq = parseNumber(tail.substr(0, dash));
  auto instance = parseNumber(tail.substr(dash + 1));
  store::SpaceId id{std::string(text.substr(0, first)),
                    std::string(text.substr(first + 2, second - first - 2))};
  if (!seq || !instance || !store::validateNamePart(id.author, "author") ||
      !store::validateNamePart(id.name, "name")) {
    return std::nullopt;
  }
  return ContainerRef{id, *seq, static_cast<int>(*instance)};
}

std::string networkKey(const store::SpaceId& id, int64_t seq) {
  return id.str() + "#" + std::to_string(seq);
}

namespace {
constexpr std::string_view kBuildSuffix = "#build";
}  // namespace

std::string buildNetworkKey(const store::SpaceId& id, int64_t seq) {
  return networkKey(id, seq) + std::string(kBuildSuffix);
}

bool isBuildNetworkKey(std::string_view key) {
  return key.ends_with(kBuildSuffix);
}

std::string imageName(const store::SpaceId& id, int64_t seq) {
  return "spacelet-space/" + id.author + "/" + id.name + ":" + std::to_string(seq);
}

std::string spaceHost(const store::SpaceId& id, std::string_view domain) {
  std::string host = id.author + "-" + id.name;
  for (char& c : host) {
    c = (c == '.' || c == '_') ? '-'
                               : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return host + "." + std::string(domain);
}

}  // namespace spacelet::agent::supervisor
