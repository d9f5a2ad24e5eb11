// What a Space sees, end to end: its SPACE_* variables, SYSTEM, CPU_CORES and MEMORY of its
// flavor, HOME, its own secrets and variables as environment, uid 1000; and not another
// Space's secrets (neither in its environment nor in any process it can see), which also
// never reach a log.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "space_files.h"
#include "space_node.h"

namespace spacelet::e2e {
namespace {

using namespace std::chrono_literals;

// Writes what the app sees into files it then serves: env.txt, id.txt, resolv.txt (its
// /etc/resolv.conf, when there is one) and procenv.txt (the environment of every process
// visible in its /proc).
std::string reportScript() {
  return "mkdir -p /tmp/www && env > /tmp/www/env.txt && id > /tmp/www/id.txt && "
         "{ cat /etc/resolv.conf > /tmp/www/resolv.txt; true; } && "
         "for e in /proc/[0-9]*/environ; do tr '\\000' '\\n' < $e; done > /tmp/www/procenv.txt "
         "2>/dev/null; echo started; exec httpd -f -p 8080 -h /tmp/www";
}

// Every file below `dir` that holds `needle`.
std::vector<std::string> filesHolding(const std::string& dir, const std::string& needle) {
  std::vector<std::string> found;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    std::string path = it->path().string();
    if (!it->is_regular_file(ec) || !(path.ends_with(".log") || path.find(".log.") != path.npos))
      continue;
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().find(needle) != std::string::npos) found.push_back(path);
  }
  return found;
}

TEST(E2eEnvironment, SeesItsSpaceVariablesSecretsAndUid1000ButNotAnotherSpacesSecrets) {
  SpaceNode node;
  ASSERT_EQ(node.start(), "");
  std::string a = node.spaceId("env-a");
  std::string b = node.spaceId("env-b");
  std::string secretA = "secret-of-a-" + std::to_string(::getpid());
  std::string secretB = "secret-of-b-" + std::to_string(::getpid());
  for (const auto& [id, secret] : {std::pair{a, secretA}, std::pair{b, secretB}}) {
    ASSERT_EQ(node.spacectl({"create", id, "--sdk", "docker"}).status, 0);
    auto set = node.spacectl({"secret", "set", id, "API_TOKEN"}, secret);
    ASSERT_EQ(set.status, 0) << set.output;
  }
  ASSERT_EQ(node.spacectl({"var", "set", a, "GREETING", "hello from a"}).status, 0);
  // One after the other: two builds of the same steps at once both write the build cache's
  // record through writeFileAtomicAt's one '<path>.tmp' name, and the second rename fails
  // (a builder bug of its own, not what this test is about).
  for (const auto& id : {a, b}) {
    auto pushed = node.push(id, dockerSpace("env", reportScript()), "report the environment");
    ASSERT_EQ(pushed.status, 0) << pushed.output;
    ASSERT_TRUE(node.waitServed(id, "SPACE_ID=", 180s, "/env.txt")) << node.describe(id);
  }

  std::string envA = node.get(a, "/env.txt").body;
  std::string author = a.substr(0, a.find('/'));
  for (const std::string& line : std::vector<std::string>{
           "SPACE_ID=" + a, "SPACE_AUTHOR_NAME=" + author, "SPACE_REPO_NAME=env-a",
           "SPACE_TITLE=e2e docker", "SPACE_HOST=" + author + "-env-a.localhost",
           std::string("SYSTEM=spaces"), std::string("CPU_CORES=1"), std::string("MEMORY=256Mi"),
           std::string("HOME=/home/user"), "API_TOKEN=" + secretA,
           std::string("GREETING=hello from a")}) {
    EXPECT_NE(envA.find(line + "\n"), std::string::npos) << line << " in\n" << envA;
  }
  std::string idA = node.get(a, "/id.txt").body;
  EXPECT_TRUE(std::regex_search(idA, std::regex("^uid=1000[ (].*gid=1000[ (]"))) << idA;
  // The busybox image has no /etc/resolv.conf: this one is the Space's network's (the node's
  // resolver, here the host's as network.resolvers is not set).
  Page resolv = node.get(a, "/resolv.txt");
  EXPECT_EQ(resolv.status, 200);
  EXPECT_TRUE(std::regex_search(resolv.body, std::regex("(^|\n)nameserver [0-9a-f.:]+\n")))
      << resolv.body;

  std::string envB = node.get(b, "/env.txt").body;
  EXPECT_NE(envB.find("API_TOKEN=" + secretB + "\n"), std::string::npos) << envB;
  EXPECT_EQ(envB.find("GREETING="), std::string::npos) << envB;
  std::string idB = node.get(b, "/id.txt").body;
  EXPECT_TRUE(std::regex_search(idB, std::regex("^uid=1000[ (].*gid=1000[ (]"))) << idB;
  for (const auto& [seen, other] : {std::pair{envB, secretA}, std::pair{envA, secretB}}) {
    EXPECT_EQ(seen.find(other), std::string::npos) << seen;
  }
  Page procB = node.get(b, "/procenv.txt");
  ASSERT_EQ(procB.status, 200);
  EXPECT_NE(procB.body.find("SPACE_ID=" + b), std::string::npos) << procB.body;
  EXPECT_EQ(procB.body.find(secretA), std::string::npos) << procB.body;
  EXPECT_EQ(node.get(a, "/procenv.txt").body.find(secretB), std::string::npos);

  // Secrets never reach a log: the agent's, the builds' or the apps'.
  EXPECT_EQ(node.agent().log().find(secretA), std::string::npos);
  EXPECT_TRUE(filesHolding(node.agent().stateDir(), secretA).empty());
  EXPECT_TRUE(filesHolding(node.agent().stateDir(), secretB).empty());
}

}  // namespace
}  // namespace spacelet::e2e
