// spacelet-monitor with real containers (busybox rootfs, the project's runtime): the output
// reaches the rotated log with timestamps, the exit code or signal and an OOM kill (through the
// cgroup v1 fallback here, v2 in the VM harness) reach the state file, a container that cannot
// be created is a "failed" state naming why, and killing the monitor's parent with SIGKILL
// (as `kill -9 spaceletd` would) leaves the container running and its exit still recorded.
// SPACELET_TEST_RUNTIME overrides the runtime (e.g. runc) to compare behaviour.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "agent/monitor/monitor_state.h"
#include "agent/monitor/oom.h"
#include "test_env.h"

namespace spacelet::agent::monitor {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using spacelet::testing::runCommand;
using spacelet::testing::TempDir;

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string runtime() {
  const char* env = ::getenv("SPACELET_TEST_RUNTIME");
  return env && *env ? env : spacelet::testing::runtimePath();
}

std::string monitorPath() {
  return spacelet::testing::binaryDir() + "/agent/monitor/spacelet-monitor";
}

// The cgroup of container `id`: below the cgroup this test runs in (memory's) on hybrid
// hosts; on pure v2 a sibling of it (a cgroup with processes cannot enable controllers).
std::string containerCgroup(const std::string& id) {
  if (auto parent = spacelet::testing::v2ContainerParent()) return *parent + "/" + id;
  auto cgroup = memoryCgroupOf(readText("/proc/self/cgroup"));
  return (cgroup ? cgroup->path : "") + "/" + id;
}

class MonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = spacelet::testing::requireRoot(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_EQ(spacelet::testing::makeBusyboxRootfs(tmp_ / "bundle/rootfs"), "");
    id_ = "spacelet-mon-" + std::to_string(::getpid()) + "-" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  void TearDown() override {
    runCommand({runtime(), "--root", tmp_ / "runtime", "delete", "--force", id_});
  }

  void writeConfig(const std::vector<std::string>& args, int64_t memoryLimit = 0) {
    nlohmann::json resources = nlohmann::json::object();
    if (memoryLimit) resources["memory"] = {{"limit", memoryLimit}, {"swap", memoryLimit}};
    nlohmann::json config = {
        {"ociVersion", "1.0.2"},
        {"process",
         {{"terminal", false},
          {"user", {{"uid", 0}, {"gid", 0}}},
          {"args", args},
          {"env", {"PATH=/bin"}},
          {"cwd", "/"},
          {"noNewPrivileges", true}}},
        {"root", {{"path", "rootfs"}, {"readonly", false}}},
        {"hostname", "monitor-test"},
        {"mounts",
         {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
          {{"destination", "/dev"},
           {"type", "tmpfs"},
           {"source", "tmpfs"},
           {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}}}},
        {"linux",
         {{"namespaces",
           {{{"type", "pid"}},
            {{"type", "mount"}},
            {{"type", "ipc"}},
            {{"type", "uts"}},
            {{"type", "network"}}}},
          {"cgroupsPath", containerCgroup(id_)},
          {"resources", resources}}}};
    std::ofstream(tmp_ / "bundle/config.json") << config.dump(2);
  }

  std::vector<std::string> monitorArgs() {
    return {monitorPath(),
            "--runtime",
            runtime(),
            "--runtime-arg",
            "--root",
            "--runtime-arg",
            tmp_ / "runtime",
            "--id",
            id_,
            "--bundle",
            tmp_ / "bundle",
            "--state",
            tmp_ / "state.json",
            "--log",
            tmp_ / "run.log",
            "--log-max-bytes",
            "4Ki",
            "--log-keep",
            "2"};
  }

  MonitorState waitForPhase(Phase phase, std::chrono::seconds timeout = 20s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto state = readState(tmp_ / "state.json");
      if (state && state->phase == phase) return *state;
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "no phase " << phaseName(phase)
                  << "; state: " << readText(tmp_ / "state.json");
    return {};
  }

  TempDir tmp_{"spacelet-monitor"};
  std::string id_;
};

TEST_F(MonitorTest, LogsOutputAndRecordsTheExitCode) {
  writeConfig({"sh", "-c", "echo hello; echo oops >&2; exit 3"});
  auto r = runCommand(monitorArgs());
  ASSERT_EQ(r.status, 0) << r.output;
  auto state = readState(tmp_ / "state.json");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->phase, Phase::kExited);
  EXPECT_FALSE(state->signaled);
  EXPECT_EQ(state->exitValue, 3);
  EXPECT_FALSE(state->oomKilled);
  EXPECT_GT(state->pid, 0);
  EXPECT_GE(state->exitedAtMs, state->startedAtMs);
  std::string log = readText(tmp_ / "run.log");
  EXPECT_NE(log.find("\"data\":\"hello\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"data\":\"oops\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"timestamp\":\"20"), std::string::npos) << log;
  // The monitor deleted the container.
  auto list = runCommand({runtime(), "--root", tmp_ / "runtime", "list", "-q"});
  EXPECT_EQ(list.output.find(id_), std::string::npos) << list.output;
}

TEST_F(MonitorTest, CapsAndRotatesTheLog) {
  writeConfig({"sh", "-c", "i=0; while [ $i -lt 400 ]; do echo line-$i; i=$((i+1)); done"});
  ASSERT_EQ(runCommand(monitorArgs()).status, 0);
  EXPECT_NE(readText(tmp_ / "run.log").find("line-399"), std::string::npos);
  EXPECT_TRUE(fs::exists(tmp_ / "run.log.2"));
  EXPECT_FALSE(fs::exists(tmp_ / "run.log.3"));
  for (const char* f : {"run.log", "run.log.1", "run.log.2"}) {
    EXPECT_LE(fs::file_size(tmp_ / f), 4096u) << f;
  }
}

TEST_F(MonitorTest, AFailedCreateIsRecordedWithTheReason) {
  writeConfig({"/bin/no-such-program"});
  auto r = runCommand(monitorArgs());
  EXPECT_EQ(r.status, 1) << r.output;
  auto state = readState(tmp_ / "state.json");
  ASSERT_TRUE(state);
  // Runtimes differ on whether a missing program fails create or the process's exec.
  if (state->phase == Phase::kFailed) {
    EXPECT_NE(state->error.find("no-such-program"), std::string::npos) << state->error;
  } else {
    EXPECT_EQ(state->phase, Phase::kExited);
    EXPECT_NE(state->exitValue, 0);
  }
}

TEST_F(MonitorTest, TheReadyFdGetsTheRunningState) {
  writeConfig({"sh", "-c", "sleep 0.3"});
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto args = monitorArgs();
  args.insert(args.end(), {"--ready-fd", "3"});
  // Hand the pipe's write end over as fd 3 through a shell redirection.
  std::string cmd;
  for (const auto& a : args) cmd += "'" + a + "' ";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 3);
    ::execl("/bin/sh", "sh", "-c", (cmd + "3>&3").c_str(), nullptr);
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string line;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) line.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  auto ready = fromJson(line);
  ASSERT_TRUE(ready) << line;
  EXPECT_EQ(ready->phase, Phase::kRunning);
  EXPECT_GT(ready->pid, 0);
}

TEST_F(MonitorTest, SurvivesItsParentsSigkill) {
  writeConfig({"sh", "-c", "i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.1; done"});
  // The "agent": starts the monitor in its own session, then waits; it gets SIGKILL.
  std::string cmd = "setsid";
  for (const auto& a : monitorArgs()) cmd += " '" + a + "'";
  pid_t agent = ::fork();
  if (agent == 0) {
    ::execl("/bin/sh", "sh", "-c", (cmd + " & wait").c_str(), nullptr);
    ::_exit(127);
  }
  auto running = waitForPhase(Phase::kRunning);
  ASSERT_EQ(::kill(agent, SIGKILL), 0);
  ::waitpid(agent, nullptr, 0);
  std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(monitorAlive(running)) << "the monitor died with its parent";
  auto state = runCommand({runtime(), "--root", tmp_ / "runtime", "state", id_});
  EXPECT_NE(state.output.find("\"running\""), std::string::npos) << state.output;
  size_t before = readText(tmp_ / "run.log").size();
  std::this_thread::sleep_for(500ms);
  EXPECT_GT(readText(tmp_ / "run.log").size(), before) << "output stopped flowing";
  // Stopping the container is still recorded by the orphaned monitor.
  runCommand({runtime(), "--root", tmp_ / "runtime", "kill", id_, "KILL"});
  auto exited = waitForPhase(Phase::kExited);
  EXPECT_TRUE(exited.signaled);
  EXPECT_EQ(exited.exitValue, SIGKILL);
  EXPECT_FALSE(exited.oomKilled);
}

TEST_F(MonitorTest, AnOomKillIsNamed) {
  // 32 MiB limit; the shell holds ~200 MB in a variable. On this host the limit comes from the
  // runtime's cgroup v1 fallback; the VM harness runs the same test on cgroup v2.
  writeConfig({"sh", "-c", "echo start; x=$(yes | head -c 200000000); echo survived"}, 32 << 20);
  ASSERT_EQ(runCommand(monitorArgs()).status, 0);
  auto state = readState(tmp_ / "state.json");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->phase, Phase::kExited);
  EXPECT_TRUE(state->oomKilled) << readText(tmp_ / "state.json");
  EXPECT_EQ(readText(tmp_ / "run.log").find("survived"), std::string::npos);
}

}  // namespace
}  // namespace spacelet::agent::monitor
