// GPU flavors through the real spaceletd: a node with one fake GPU (a mknod'ed character
// device on a major no driver has, described by a CDI spec in a temp dir) and two Spaces on a
// one-GPU flavor. The first gets the GPU: from inside, its device opens to ENXIO (the device
// cgroup let it through) and its environment has spacelet's NVIDIA_VISIBLE_DEVICES, not the
// image's. The second waits in BUILDING with the reason, across a kill -9 and restart of the
// agent (the grant is read back from SQLite), and starts once the first is paused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent_fixture.h"
#include "fake_nvidia_node.h"

namespace spacelet::agent::testing {
namespace {

namespace t = spacelet::testing;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class GpuAgent : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = t::requireRoot(); !why.empty()) GTEST_SKIP() << why;
    if (auto why = node_.build(); !why.empty()) GTEST_SKIP() << why;
    netns_ = "spacelet-gputest-" + std::to_string(::getpid());
    ASSERT_EQ(t::runCommand({"ip", "netns", "add", netns_}).status, 0);
    t::runCommand({"ip", "-n", netns_, "link", "set", "lo", "up"});
    fs::create_directories(node_.path("cdi"));
    // One GPU; its node has no major/minor here, so the agent takes them from the host.
    std::ofstream(node_.path("cdi/test-gpu.yaml"))
        << "cdiVersion: 0.6.0\nkind: nvidia.com/gpu\ncontainerEdits:\n"
        << "  env: [SPACELET_TEST_CDI=shared]\ndevices:\n- name: '0'\n"
        << "  annotations: {spacelet.dev/gpu-model: Tesla T4}\n  containerEdits:\n"
        << "    deviceNodes: [{path: /dev/nvidia0, hostPath: " << node_.path("dev/nvidia0")
        << "}]\n";
    agent_.emplace(config(), "");
    ASSERT_EQ(agent_->start(), "");
  }

  void TearDown() override {
    if (agent_ && agent_->running()) {
      for (const char* id : {"alice/one", "alice/two"})
        agent_->call("DELETE", "/v1/spaces/" + std::string(id));
      for (int i = 0;
           i < 300 && !reply("GET", "/v1/spaces").value("spaces", nlohmann::json::array()).empty();
           ++i)
        std::this_thread::sleep_for(100ms);
      agent_->stop();
    }
    if (agent_) {
      std::string pid = readAll(agent_->dir() + "/run/proxy/proxy.pid");
      if (!pid.empty()) ::kill(std::stoi(pid), SIGTERM);  // the proxy outlives agents
    }
    if (!netns_.empty()) t::runCommand({"ip", "netns", "delete", netns_});
  }

  std::string config() const {
    return "network:\n  node_netns: /run/netns/" + netns_ +
           "\nproxy:\n  listen: 127.0.0.1:" + std::to_string(20000 + ::getpid() % 10000) +
           "\nsupervisor:\n  stop_grace: 2s\ngpu:\n  cdi_dirs: [" + node_.path("cdi") +
           "]\nflavors:\n  cpu-basic:\n    cpus: 1\n    memory: 1Gi\n  t4-test:\n    cpus: 1\n"
           "    memory: 1Gi\n    gpus: 1\n    gpu_kind: nvidia.com/gpu\n    gpu_model: T4\n";
  }

  // Creates the Space on the GPU flavor and pushes an app that reports what it sees.
  void createAndPush(const std::string& name) {
    auto created =
        agent_->call("POST", "/v1/spaces",
                     R"({"id": "alice/)" + name + R"(", "sdk": "docker", "hardware": "t4-test"})");
    ASSERT_EQ(created.status, 201) << created.body;
    std::string tree = agent_->dir() + "/src-" + name;
    fs::create_directories(tree);
    std::ofstream(tree + "/README.md") << "---\nsdk: docker\napp_port: 8080\n---\n";
    std::ofstream(tree + "/Dockerfile")
        << "FROM spacelet/busybox:latest\nENV NVIDIA_VISIBLE_DEVICES=all\nUSER 1000\n"
        << "CMD [\"sh\", \"-c\", \"env > /app/env.txt; cat /dev/nvidia0 > /app/open.txt 2>&1; "
           "echo ok > /app/index.html; exec httpd -f -p 8080 -h /app\"]\n";
    std::string path = reply("GET", "/v1/spaces/alice/" + name + "/repository").value("path", "");
    for (auto args : std::vector<std::vector<std::string>>{
             {"git", "-C", tree, "init", "-q", "-b", "main"},
             {"git", "-C", tree, "add", "-A"},
             {"git", "-C", tree, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m",
              "app"},
             {"git", "-C", tree, "push", "-q", path, "HEAD:main"}}) {
      auto r = t::runCommand(args);
      ASSERT_EQ(r.status, 0) << r.output;
    }
  }

  // The reply's JSON; a reply that is not JSON fails the test with the agent's log.
  nlohmann::json reply(const std::string& method, const std::string& path) {
    auto r = agent_->call(method, path);
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_object()) return j;
    ADD_FAILURE() << method << " " << path << ": HTTP " << r.status << " '" << r.body << "'\n"
                  << agent_->log();
    return nlohmann::json::object();
  }

  nlohmann::json space(const std::string& name) { return reply("GET", "/v1/spaces/alice/" + name); }

  // Waits until `ok(space)` or the timeout; returns the last state seen.
  nlohmann::json waitFor(const std::string& name,
                         const std::function<bool(const nlohmann::json&)>& ok,
                         std::chrono::seconds timeout = 240s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    nlohmann::json s;
    do {
      s = space(name);
      if (ok(s)) return s;
      std::this_thread::sleep_for(200ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return s;
  }

  // A file the app of the Space's serving deployment wrote in /app.
  std::string appFile(const std::string& name, const std::string& file) {
    int64_t seq =
        reply("GET", "/v1/spaces/alice/" + name + "/deployments").value("serving", int64_t{0});
    return readAll(agent_->stateDir() + "/spaces/alice/" + name + "/deployments/" +
                   std::to_string(seq) + "/bundle/rootfs/app/" + file);
  }

  nlohmann::json gpuInfo() {
    return reply("GET", "/v1/info").value("gpus", nlohmann::json::array());
  }

  gpu::testing::FakeNvidiaNode node_;
  std::string netns_;
  std::optional<AgentInstance> agent_;
};

bool running(const nlohmann::json& s) {
  return s["stage"] == "RUNNING";
}
bool waitingForGpu(const nlohmann::json& s) {
  return s["stage"] == "BUILDING" && s["error_message"].is_string() &&
         s["error_message"].get<std::string>().starts_with("waiting for GPU");
}

TEST_F(GpuAgent, SecondSpaceWaitsAcrossARestartAndStartsWhenTheFirstPauses) {
  createAndPush("one");
  auto one = waitFor("one", running);
  ASSERT_TRUE(running(one)) << one.dump() << "\n" << agent_->log();
  createAndPush("two");
  auto two = waitFor("two", waitingForGpu, 30s);
  ASSERT_TRUE(waitingForGpu(two)) << two.dump();
  EXPECT_EQ(two["error_message"],
            "waiting for GPU: needs 1 'nvidia.com/gpu' of model 'T4', 0 of 1 free (in use by "
            "'alice/one')");
  auto gpus = gpuInfo();
  ASSERT_EQ(gpus.size(), 1u) << gpus.dump();
  EXPECT_EQ(gpus[0]["name"], "nvidia.com/gpu=0");
  EXPECT_EQ(gpus[0]["model"], "Tesla T4");
  EXPECT_EQ(gpus[0]["space"], "alice/one");
  EXPECT_EQ(gpus[0]["waiting"], nlohmann::json::array({"alice/two"}));

  // From inside the first Space: the device cgroup lets the granted node through to a
  // missing driver (ENXIO, not EPERM), and spacelet's variables replace the image's.
  std::string opened = appFile("one", "open.txt");
  EXPECT_NE(opened.find("No such device or address"), std::string::npos) << opened;
  std::string env = appFile("one", "env.txt");
  EXPECT_NE(env.find("NVIDIA_VISIBLE_DEVICES=0\n"), std::string::npos) << env;
  EXPECT_EQ(env.find("NVIDIA_VISIBLE_DEVICES=all"), std::string::npos) << env;
  EXPECT_NE(env.find("ACCELERATOR=T4\n"), std::string::npos) << env;
  EXPECT_NE(env.find("SPACELET_TEST_CDI=shared\n"), std::string::npos) << env;

  // kill -9 and start again on the same state: the grant and the wait survive.
  agent_->kill9();
  ASSERT_EQ(agent_->start(), "");
  EXPECT_TRUE(running(waitFor("one", running, 30s)));
  two = waitFor("two", waitingForGpu, 30s);
  EXPECT_TRUE(waitingForGpu(two)) << two.dump();
  gpus = gpuInfo();
  ASSERT_EQ(gpus.size(), 1u);
  EXPECT_EQ(gpus[0]["space"], "alice/one");

  // Pausing the first releases its GPU; the second builds and starts at once.
  ASSERT_EQ(agent_->call("POST", "/v1/spaces/alice/one/pause").status, 200);
  two = waitFor("two", running);
  ASSERT_TRUE(running(two)) << two.dump() << "\n" << agent_->log();
  EXPECT_TRUE(two["error_message"].is_null()) << two.dump();
  gpus = gpuInfo();
  EXPECT_EQ(gpus[0]["space"], "alice/two");
  EXPECT_NE(appFile("two", "open.txt").find("No such device or address"), std::string::npos);
  EXPECT_EQ(space("one")["stage"], "PAUSED");
}

}  // namespace
}  // namespace spacelet::agent::testing
