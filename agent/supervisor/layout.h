// Where a Space's deployments live and what their parts are called. Pure.
//   <state>/spaces/<author>/<name>/repo.git                 the bare repository
//   <state>/spaces/<author>/<name>/deployments.json         the history (deployment.h)
//   <state>/spaces/<author>/<name>/deployments/<seq>/       one deployment:
//       src/ (the exported commit), bundle/, build.log, run.log, monitor-<n>.json
//   <state>/spaces/<author>/<name>/logs/{build,run}.log     links to the current deployment's
// Container ids are "<author>--<name>--<seq>-<instance>": Hugging Face names never hold "--",
// so the id cannot be mistaken for another Space's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/store/space.h"

namespace spacelet::agent::supervisor {

struct DeploymentPaths {
  std::string dir;
  std::string source;
  std::string bundle;
  std::string buildLog;
  std::string runLog;
  std::string monitorState(int instance) const;
};

std::string repoPath(const std::string& stateDir, const store::SpaceId& id);
std::string historyPath(const std::string& stateDir, const store::SpaceId& id);
std::string deploymentsDir(const std::string& stateDir, const store::SpaceId& id);
DeploymentPaths deploymentPaths(const std::string& stateDir, const store::SpaceId& id, int64_t seq);

std::string containerId(const store::SpaceId& id, int64_t seq, int instance);
// A deployment's build: its build containers' and scratch directory's name.
std::string buildId(const store::SpaceId& id, int64_t seq);
struct ContainerRef {
  store::SpaceId space;
  int64_t seq = 0;
  int instance = 0;
};
// The inverse of containerId; nullopt for ids spacelet did not make.
std::optional<ContainerRef> parseContainerId(std::string_view containerId);

// The key a deployment's network is attached under (each deployment has its own netns, so
// the old and the new one can both listen on app_port during the switch).
std::string networkKey(const store::SpaceId& id, int64_t seq);
// The key a deployment's build is attached under while its RUN steps run: its own namespace
// and addresses, so the serving deployment is untouched. No build outlives the agent, so at
// start every lease with such a key is stale.
std::string buildNetworkKey(const store::SpaceId& id, int64_t seq);
bool isBuildNetworkKey(std::string_view key);
// The image a deployment's build is stored as (kept for rollbacks until history drops it).
std::string imageName(const store::SpaceId& id, int64_t seq);
// Hugging Face's host form: "<author>-<name>.<domain>", lowercased, '.' and '_' as '-'.
std::string spaceHost(const store::SpaceId& id, std::string_view domain);

}  // namespace spacelet::agent::supervisor
