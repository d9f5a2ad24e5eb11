// A node for the end-to-end tests of Spaces from git: the real spaceletd (agent_fixture.h's
// AgentInstance) with its Spaces' network behind a network namespace the test makes
// (network.node_netns: the `inet spacelet` table and the sp-* veths live there), its front
// proxy on a free loopback port, short supervisor timings and small flavors. Helpers push
// commits with real git to the path `spacectl repo` prints, read a Space's runtime through
// spacectl, and GET its pages through the proxy. The destructor takes everything down even
// after a failed assertion: the agent, every container (spacelet-run delete --force), the
// processes the agent left (monitors, proxy), the namespace and the containers' cgroups.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent_fixture.h"
#include "test_env.h"

namespace spacelet::e2e {

struct Page {
  int status = 0;  // 0: no HTTP answer at all
  std::string body;
};

// What a Space's files are: path in the repository -> content.
using Files = std::map<std::string, std::string>;

class SpaceNode {
 public:
  SpaceNode();
  ~SpaceNode();
  SpaceNode(const SpaceNode&) = delete;
  SpaceNode& operator=(const SpaceNode&) = delete;

  // Makes the node namespace, then starts the agent. "" or why not. `buildsConfig` is YAML
  // lines of the config's builds: section, each indented by two spaces ("  wheelhouse: /w\n").
  std::string start(const std::string& buildsConfig = "");
  // The agent again on the same state (after kill9Agent or stopAgent).
  std::string restartAgent() { return agent_.start(); }
  void kill9Agent() { agent_.kill9(); }
  int stopAgent() { return agent_.stop(); }
  agent::testing::AgentInstance& agent() { return agent_; }

  // "<author>/<name>" of a Space of this test run (the author is unique to the process, so
  // container and cgroup names never meet those of another agent on the machine).
  std::string spaceId(const std::string& name) const { return author_ + "/" + name; }

  spacelet::testing::CommandResult spacectl(const std::vector<std::string>& args,
                                            const std::string& input = "");
  nlohmann::json runtime(const std::string& id);
  nlohmann::json deployments(const std::string& id);

  // Writes `files` into the Space's work tree, commits them and runs `git push <repo>
  // HEAD:main` (the post-receive hook notifies the agent). The output holds the new sha on
  // success (status 0), git's messages otherwise.
  spacelet::testing::CommandResult push(const std::string& id, const Files& files,
                                        const std::string& message);
  // `spacectl create ID --sdk docker [createFlags...]`, then push(id, files, message): the
  // create's result when it fails, else the push's.
  spacelet::testing::CommandResult createDockerSpaceAndPush(
      const std::string& id, const Files& files, const std::string& message,
      const std::vector<std::string>& createFlags = {});
  // GET through the front proxy, with the Space's host name.
  Page get(const std::string& id, const std::string& path = "/");
  // Containers the agent's runtime knows (its Spaces' containers, not builds).
  std::vector<std::string> containers();
  // The runtime, the deployments and the agent log's tail, for failure messages.
  std::string describe(const std::string& id);
  // Polls until the Space's stage is `stage`.
  bool waitStage(const std::string& id, const std::string& stage,
                 std::chrono::milliseconds limit = std::chrono::seconds(120));
  // Polls until GET `path` answers 200 with a body containing `needle`.
  bool waitServed(const std::string& id, const std::string& needle,
                  std::chrono::milliseconds limit = std::chrono::seconds(120),
                  const std::string& path = "/");
  // The text of a file under the state directory ("" when missing).
  std::string stateFile(const std::string& relative) const;

 private:
  void removeContainers(const std::string& root);
  void endLeftoverProcesses();
  void removeCgroups();

  agent::testing::AgentInstance agent_;
  std::string author_;
  std::string netns_;
  bool netnsMade_ = false;
  uint16_t proxyPort_ = 0;
};

// A member of a JSON object as text ("" when missing or null; numbers as digits) or as a
// number (0 when missing or not one): the API's optional fields are null.
std::string field(const nlohmann::json& object, const std::string& key);
int64_t number(const nlohmann::json& object, const std::string& key);

// Polls `check` every 100 ms until it holds (true) or `limit` passes (false).
bool eventually(const std::function<bool()>& check, std::chrono::milliseconds limit);

}  // namespace spacelet::e2e
