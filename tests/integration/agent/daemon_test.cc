// spaceletd as a service: readiness, status and watchdog over sd_notify, socket activation,
// SIGHUP reload (what changed, what needs a restart, a broken file kept out), a clean SIGTERM,
// kill -9 and restart with nothing lost (also in the middle of a stream of writes), one agent per
// state directory, and start-up errors that name what is wrong (a bad config line, another node
// key).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "agent/store/sqlite.h"
#include "agent_fixture.h"

namespace spacelet::agent::testing {
namespace {

using namespace std::chrono_literals;

bool contains(const std::vector<std::string>& messages, const std::string& needle) {
  for (const auto& m : messages)
    if (m.find(needle) != std::string::npos) return true;
  return false;
}

// Waits up to `limit` for a notification containing needle.
bool notified(AgentInstance& agent, const std::string& needle,
              std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (contains(agent.notifications(50ms), needle)) return true;
  }
  return false;
}

TEST(Daemon, NotifiesReadyStatusAndWatchdog) {
  AgentInstance agent;
  ASSERT_EQ(agent.start({"WATCHDOG_USEC=400000"}), "");
  EXPECT_TRUE(notified(agent, "READY=1"));
  EXPECT_TRUE(notified(agent, "STATUS=0 Spaces (0 in error, 0 paused)"));
  EXPECT_TRUE(notified(agent, "WATCHDOG=1"));
  ASSERT_EQ(agent.call("POST", "/v1/spaces", R"({"id":"a/b"})").status, 201);
  EXPECT_TRUE(notified(agent, "STATUS=1 Spaces"));
  EXPECT_EQ(agent.stop(), 0);
  EXPECT_TRUE(contains(agent.notifications(), "STOPPING=1"));
}

TEST(Daemon, CleanStopRemovesTheSocketAndKeepsState) {
  AgentInstance agent;
  ASSERT_EQ(agent.start(), "");
  struct stat st {};
  ASSERT_EQ(::stat(agent.socket().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_EQ(st.st_gid, ::getegid());
  ASSERT_EQ(agent.call("POST", "/v1/spaces", R"({"id":"a/b"})").status, 201);
  HttpStream follower(agent.socket(), "/v1/events?follow=1");
  ASSERT_EQ(follower.status(), 200);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(agent.stop(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);  // streams are ended, not waited out
  EXPECT_FALSE(follower.nextLine(2s));
  EXPECT_TRUE(follower.ended());
  EXPECT_NE(::access(agent.socket().c_str(), F_OK), 0);
  EXPECT_NE(agent.log().find("stopped"), std::string::npos);
  ASSERT_EQ(agent.start(), "");
  EXPECT_EQ(agent.call("GET", "/v1/spaces/a/b").status, 200);
}

TEST(Daemon, KillNineThenRestartLosesNothing) {
  AgentInstance agent;
  ASSERT_EQ(agent.start(), "");
  ASSERT_EQ(
      agent
          .call("POST", "/v1/spaces",
                R"({"id":"alice/demo","sdk":"docker","hardware":"cpu-upgrade","sleep_time":600,
                           "secrets":{"TOKEN":"tok-123"},"variables":{"MODEL":"gpt2"}})")
          .status,
      201);
  ASSERT_EQ(agent.call("POST", "/v1/spaces/alice/demo/pause").status, 200);
  ASSERT_EQ(agent.call("PUT", "/v1/spaces/alice/demo/hardware", R"({"flavor":"t4-small"})").status,
            200);
  ASSERT_EQ(agent.call("PUT", "/v1/spaces/alice/demo/variables/EXTRA", R"({"value":"1"})").status,
            200);
  auto before = agent.call("GET", "/v1/spaces/alice/demo").json();
  auto eventsBefore = httpRequest(agent.socket(), "GET", "/v1/events?tail=1000").body;
  agent.kill9();
  // The stale socket file is still there; the new agent replaces it.
  ASSERT_EQ(::access(agent.socket().c_str(), F_OK), 0);
  ASSERT_EQ(agent.start(), "");
  EXPECT_EQ(agent.call("GET", "/v1/spaces/alice/demo").json(), before);
  EXPECT_EQ(httpRequest(agent.socket(), "GET", "/v1/events?tail=1000").body, eventsBefore);
  auto secrets = agent.call("GET", "/v1/spaces/alice/demo/secrets").json()["secrets"];
  ASSERT_EQ(secrets.size(), 1u);
  EXPECT_EQ(secrets[0]["key"], "TOKEN");
  EXPECT_EQ(agent.call("GET", "/v1/spaces/alice/demo/variables").json()["variables"].size(), 2u);
  // Resume goes back to the stage before the pause, which survived the crash too.
  EXPECT_EQ(agent.call("POST", "/v1/spaces/alice/demo/resume").json()["stage"], "NO_APP_FILE");
}

// kill -9 lands while four clients keep creating Spaces (each with a secret and a variable):
// after the restart every Space whose creation was answered is there whole, nothing is half
// made, and SQLite finds the database intact.
TEST(Daemon, KillNineDuringWritesLeavesAConsistentDatabase) {
  AgentInstance agent;
  ASSERT_EQ(agent.start(), "");
  std::atomic<bool> stop{false};
  std::vector<std::set<std::string>> answered(4);
  std::vector<std::thread> writers;
  for (size_t w = 0; w < answered.size(); ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; !stop; ++i) {
        std::string id = "crash/w" + std::to_string(w) + "-" + std::to_string(i);
        auto body = nlohmann::json(
            {{"id", id}, {"secrets", {{"TOKEN", "t"}}}, {"variables", {{"MODEL", "m"}}}});
        if (httpRequest(agent.socket(), "POST", "/v1/spaces", body.dump()).status != 201) return;
        answered[w].insert(id);
      }
    });
  }
  std::this_thread::sleep_for(700ms);
  agent.kill9();
  stop = true;
  for (auto& t : writers) t.join();
  ASSERT_EQ(agent.start(), "");
  auto listed = agent.call("GET", "/v1/spaces").json()["spaces"];
  std::set<std::string> present;
  for (const auto& s : listed) present.insert(s["id"].get<std::string>());
  size_t acknowledged = 0;
  for (const auto& ids : answered) {
    acknowledged += ids.size();
    for (const auto& id : ids) EXPECT_TRUE(present.count(id)) << id << " was answered 201";
  }
  EXPECT_GT(acknowledged, 0u);
  // At most one creation per writer was committed without its answer arriving.
  EXPECT_LE(present.size(), acknowledged + answered.size());
  for (const auto& id : present) {
    auto secrets = agent.call("GET", "/v1/spaces/" + id + "/secrets").json()["secrets"];
    auto variables = agent.call("GET", "/v1/spaces/" + id + "/variables").json()["variables"];
    EXPECT_EQ(secrets.size(), 1u) << id;
    EXPECT_EQ(variables.size(), 1u) << id;
  }
  EXPECT_EQ(agent.stop(), 0);
  auto db = store::Database::open(agent.stateDir() + "/state.db");
  ASSERT_TRUE(db) << db.error().message;
  auto check = db->prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check);
  ASSERT_TRUE(check->step().value_or(false));
  EXPECT_EQ(check->text(0), "ok");
}

TEST(Daemon, SighupReloadsWhatItCanAndSaysWhatItCannot) {
  AgentInstance agent("api:\n  max_body_bytes: 2Ki\n");
  ASSERT_EQ(agent.start(), "");
  std::string body = R"({"id":"a/b","variables":{"X":")" + std::string(3000, 'x') + "\"}}";
  ASSERT_EQ(agent.call("POST", "/v1/spaces", body).status, 413);
  agent.writeConfig("api:\n  max_body_bytes: 64Ki\nlogs:\n  format: json\n");
  ASSERT_EQ(::kill(agent.pid(), SIGHUP), 0);
  EXPECT_TRUE(notified(agent, "RELOADING=1"));
  for (int i = 0; i < 100 && agent.log().find("reloaded") == std::string::npos; ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(agent.call("POST", "/v1/spaces", body).status, 201);
  std::string log = agent.log();
  EXPECT_NE(log.find("applied api.max_body_bytes"), std::string::npos) << log;
  EXPECT_NE(log.find("could not apply logs.format while running"), std::string::npos) << log;
  auto events = httpRequest(agent.socket(), "GET", "/v1/events?tail=5").body;
  EXPECT_NE(events.find("\"type\":\"node.reloaded\""), std::string::npos);
  EXPECT_NE(events.find("\"needs_restart\":[\"logs.format\"]"), std::string::npos) << events;

  // A broken file is reported and the running configuration stays.
  agent.writeConfig("api:\n  max_body_bytes: lots\n");
  ASSERT_EQ(::kill(agent.pid(), SIGHUP), 0);
  for (int i = 0; i < 100 && agent.log().find("keeping the running") == std::string::npos; ++i)
    std::this_thread::sleep_for(20ms);
  log = agent.log();
  EXPECT_NE(log.find("'api.max_body_bytes': expected a size"), std::string::npos) << log;
  EXPECT_NE(log.find("keeping the running configuration"), std::string::npos);
  EXPECT_EQ(agent.call("POST", "/v1/spaces", R"({"id":"c/d"})").status, 201);  // still serving
  EXPECT_EQ(agent.stop(), 0);
}

TEST(Daemon, BadConfigStopsTheStartNamingKeyAndLine) {
  AgentInstance agent("limits:\n  max_spaces: many\nflavors:\n  tiny:\n    cpuz: 1\n");
  auto r = agent.runToExit({"--config", agent.configPath()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("line 10: 'limits.max_spaces': expected a whole number, got 'many'"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("line 13: 'flavors.tiny.cpuz': unknown key; did you mean 'cpus'?"),
            std::string::npos)
      << r.output;
  auto check = agent.runToExit({"--check-config", "--config", agent.configPath()});
  EXPECT_EQ(check.status, 1);
  auto missing = agent.runToExit({"--config", agent.dir() + "/nope.yaml"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.output.find("nope.yaml"), std::string::npos);
  auto usage = agent.runToExit({"--frobnicate"});
  EXPECT_EQ(usage.status, 2);
  AgentInstance good;
  EXPECT_EQ(good.runToExit({"--check-config", "--config", good.configPath()}).status, 0);
}

TEST(Daemon, OneAgentPerStateDirectoryAndPerSocket) {
  AgentInstance first;
  ASSERT_EQ(first.start(), "");
  auto second = first.runToExit({"--config", first.configPath()});
  EXPECT_EQ(second.status, 1);
  EXPECT_NE(second.output.find("another spaceletd (pid " + std::to_string(first.pid()) +
                               ") uses state directory"),
            std::string::npos)
      << second.output;
  EXPECT_EQ(first.call("GET", "/v1/info").status, 200);  // the first is untouched
  // A second instance with its own paths runs beside the first.
  AgentInstance beside;
  ASSERT_EQ(beside.start(), "");
  ASSERT_EQ(beside.call("POST", "/v1/spaces", R"({"id":"x/y"})").status, 201);
  EXPECT_EQ(first.call("GET", "/v1/spaces/x/y").status, 404);
}

TEST(Daemon, AnotherNodeKeyIsRefusedClearly) {
  AgentInstance agent;
  ASSERT_EQ(agent.start(), "");
  ASSERT_EQ(agent.call("POST", "/v1/spaces", R"({"id":"a/b","secrets":{"K":"v"}})").status, 201);
  EXPECT_EQ(agent.stop(), 0);
  struct stat st {};
  ASSERT_EQ(::stat((agent.dir() + "/node.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::filesystem::remove(agent.dir() + "/node.key");
  std::filesystem::create_directories(agent.dir() + "/creds");
  {
    std::ofstream key(agent.dir() + "/creds/spacelet.key");
    key << std::string(64, 'f') << "\n";
  }
  auto r = spacelet::testing::runCommand({"/usr/bin/env",
                                          "CREDENTIALS_DIRECTORY=" + agent.dir() + "/creds",
                                          spaceletdPath(), "--config", agent.configPath()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("credential '" + agent.dir() + "/creds/spacelet.key'"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("is not the key that sealed the secrets"), std::string::npos) << r.output;
}

TEST(Daemon, SocketActivation) {
  AgentInstance agent;
  // systemd-socket-activate binds the socket and passes it as fd 3 with LISTEN_FDS/LISTEN_PID,
  // as spaceletd.socket does.
  std::string sock = agent.dir() + "/activated.sock";
  spacelet::agent::process::SpawnOptions o;
  o.argv = {"/usr/bin/systemd-socket-activate",
            "-l",
            sock,
            "-E",
            "NOTIFY_SOCKET=" + agent.dir() + "/notify.sock",
            spaceletdPath(),
            "--config",
            agent.configPath()};
  o.env = {"PATH=/usr/bin:/bin"};
  o.mergeStderr = true;
  o.stdoutMode = spacelet::agent::process::Stream::kPipe;
  if (::access(o.argv[0].c_str(), X_OK) != 0)
    GTEST_SKIP() << "systemd-socket-activate is missing (package systemd)";
  auto child = spacelet::agent::process::spawn(o);
  ASSERT_TRUE(child) << child.error().message;
  // The agent starts on the first connection.
  HttpReply r;
  for (int i = 0; i < 100 && r.status == 0; ++i) {
    std::this_thread::sleep_for(50ms);
    r = httpRequest(sock, "GET", "/v1/info");
  }
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(::access(agent.socket().c_str(), F_OK), 0);  // it did not bind its own
  ASSERT_TRUE(child->signal(SIGTERM));
  auto status = child->wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->shellStatus(), 0);
}

}  // namespace
}  // namespace spacelet::agent::testing
