// The runc lifecycle through spacelet-run's CLI: creating -> created -> running -> stopped,
// exit statuses, list/ps/pause/resume/kill --all, and the id errors.
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "runtime_fixture.h"

extern char** environ;

namespace spacelet::sandbox::testing {
namespace {

using LifecycleTest = RuntimeTest;

// Waits up to 5 s for `id` to reach `status`.
bool waitForStatus(RuntimeTest& test, const std::function<Json()>& stateOf,
                   const std::string& status) {
  (void)test;
  for (int i = 0; i < 500; ++i) {
    if (stateOf().value("status", "") == status) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST_F(LifecycleTest, CreateStartKillDelete) {
  config_["process"]["args"] = {"/bin/sleep", "1000"};
  config_["annotations"] = {{"org.example.owner", "tests"}};
  writeConfig();
  std::string id = newId();
  std::string pidFile = state_ / "init.pid";
  auto created = detached({"create", "--bundle", bundle_.path(), "--pid-file", pidFile, id});
  ASSERT_EQ(created.status, 0) << created.output;
  Json s = state(id);
  EXPECT_EQ(s["status"], "created");
  EXPECT_EQ(s["id"], id);
  EXPECT_EQ(s["ociVersion"], "1.1.0");
  EXPECT_EQ(s["bundle"], bundle_.path());
  EXPECT_EQ(s["annotations"]["org.example.owner"], "tests");
  pid_t pid = s["pid"];
  ASSERT_GT(pid, 0);
  std::ifstream pidIn(pidFile);
  pid_t written = 0;
  pidIn >> written;
  EXPECT_EQ(written, pid);
  // Until start, the init is the runtime waiting on the exec fifo, not the program.
  EXPECT_EQ(::access(("/proc/" + std::to_string(pid)).c_str(), F_OK), 0);
  auto started = runtime({"start", id});
  ASSERT_EQ(started.status, 0) << started.output;
  EXPECT_EQ(state(id)["status"], "running");
  auto again = runtime({"start", id});
  EXPECT_NE(again.status, 0);
  EXPECT_NE(again.output.find("it is running (needs to be created)"), std::string::npos)
      << again.output;
  auto busy = runtime({"delete", id});
  EXPECT_NE(busy.status, 0);
  EXPECT_NE(busy.output.find("--force"), std::string::npos) << busy.output;
  ASSERT_EQ(runtime({"kill", id, "KILL"}).status, 0);
  EXPECT_TRUE(waitForStatus(
      *this, [&] { return state(id); }, "stopped"));
  EXPECT_EQ(state(id)["pid"], 0);
  auto deleted = runtime({"delete", id});
  ASSERT_EQ(deleted.status, 0) << deleted.output;
  auto gone = runtime({"state", id});
  EXPECT_NE(gone.status, 0);
  EXPECT_NE(gone.output.find("container '" + id + "' does not exist"), std::string::npos)
      << gone.output;
}

TEST_F(LifecycleTest, RunReturnsTheExitStatus) {
  EXPECT_EQ(runContainer({"/bin/spacelet-probe", "exit", "7"}).status, 7);
  // Killed by a signal: 128+signal, as a shell reports it. (Without a pid namespace, since
  // a pid namespace's init ignores signals it has no handler for.)
  auto& namespaces = config_["linux"]["namespaces"];
  for (size_t i = 0; i < namespaces.size(); ++i) {
    if (namespaces[i]["type"] == "pid") namespaces.erase(i);
  }
  EXPECT_EQ(runContainer({"/bin/sh", "-c", "kill -TERM $$"}).status, 128 + SIGTERM);
  // A foreground run deletes the container afterwards.
  EXPECT_EQ(runtime({"list", "--quiet"}).output, "");
}

TEST_F(LifecycleTest, RunKeepKeepsTheExitStatus) {
  config_["process"]["args"] = {"/bin/spacelet-probe", "exit", "3"};
  writeConfig();
  std::string id = newId();
  auto ran = runtime({"run", "--keep", "--bundle", bundle_.path(), id});
  EXPECT_EQ(ran.status, 3) << ran.output;
  Json s = state(id);
  EXPECT_EQ(s["status"], "stopped");
  EXPECT_EQ(s["exitStatus"], 3);
  EXPECT_EQ(runtime({"delete", id}).status, 0);
}

// A foreground `run` forwards the signals it gets to the container (as runc does), and
// while it waits, other commands work: `state` used to block on the lock that run held.
TEST_F(LifecycleTest, ForegroundRunForwardsSignals) {
  config_["process"]["args"] = {"/bin/sh", "-c", "trap 'exit 3' TERM; sleep 1000 & wait"};
  writeConfig();
  std::string id = newId();
  std::vector<std::string> argv = {t::runtimePath(), "--root", state_.path(), "run", "--bundle",
                                   bundle_.path(),   id};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t runtimePid = -1;
  ASSERT_EQ(::posix_spawn(&runtimePid, args[0], nullptr, nullptr, args.data(), environ), 0);
  // Whatever fails below, the foreground runtime does not outlive the test.
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      if (pid > 0 && ::kill(pid, SIGKILL) == 0) ::waitpid(pid, nullptr, 0);
    }
  } reaper{runtimePid};
  std::string status;
  for (int i = 0; i < 200 && status != "running"; ++i) {
    auto s =
        t::runCommand({"timeout", "5", t::runtimePath(), "--root", state_.path(), "state", id});
    ASSERT_NE(s.status, 124) << "'state' blocked while 'run' waited in the foreground";
    if (s.status == 0) status = Json::parse(s.output).value("status", "");
    if (status != "running") std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(status, "running");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the trap is set
  ASSERT_EQ(::kill(runtimePid, SIGTERM), 0);
  int wstatus = 0;
  pid_t reaped = 0;
  for (int i = 0; i < 200 && reaped == 0; ++i) {
    reaped = ::waitpid(runtimePid, &wstatus, WNOHANG);
    if (reaped == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(reaped, runtimePid) << "run did not return within 10 s of SIGTERM";
  reaper.pid = -1;
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 3) << "the container got the TERM and its status came back";
  EXPECT_EQ(runtime({"list", "--quiet"}).output, "") << "a foreground run deletes afterwards";
}

// The init is in the container's cgroup in every hierarchy the driver manages (on the v1 /
// hybrid fs driver it joins by itself: cgroup::Manager::selfJoin).
TEST_F(LifecycleTest, TheInitIsInItsCgroupEverywhere) {
  std::string id = startSleeper();
  pid_t pid = initPid(id);
  ASSERT_GT(pid, 0);
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::string leaf = "/" + (t::v2ContainerParent() ? cgroupOf(id) : id);
  int hierarchies = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find(":name=") != std::string::npos) continue;  // named: not the runtime's
    ++hierarchies;
    EXPECT_TRUE(line.ends_with(leaf)) << line;
  }
  EXPECT_GT(hierarchies, 0);
}

TEST_F(LifecycleTest, RunDetachLeavesItRunning) {
  config_["process"]["args"] = {"/bin/sleep", "1000"};
  writeConfig();
  std::string id = newId();
  auto ran = detached({"run", "--detach", "--bundle", bundle_.path(), id});
  ASSERT_EQ(ran.status, 0) << ran.output;
  EXPECT_EQ(state(id)["status"], "running");
  EXPECT_EQ(runtime({"delete", "--force", id}).status, 0);
  EXPECT_NE(runtime({"state", id}).status, 0);
}

TEST_F(LifecycleTest, ListFormats) {
  std::string id = startSleeper();
  auto table = runtime({"list"});
  ASSERT_EQ(table.status, 0);
  EXPECT_EQ(table.output.rfind("ID ", 0), 0u) << table.output;
  EXPECT_NE(table.output.find(id), std::string::npos);
  EXPECT_NE(table.output.find("running"), std::string::npos);
  Json list = Json::parse(runtime({"list", "--format", "json"}).output);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], id);
  EXPECT_EQ(list[0]["status"], "running");
  EXPECT_EQ(runtime({"list", "-q"}).output, id + "\n");
}

TEST_F(LifecycleTest, PsPauseResumeKillAll) {
  config_["process"]["args"] = {"/bin/sh", "-c", "sleep 1000 & sleep 1000 & wait"};
  writeConfig();
  std::string id = newId();
  ASSERT_EQ(detached({"run", "-d", "--bundle", bundle_.path(), id}).status, 0);
  Json pids;
  for (int i = 0; i < 200 && pids.size() < 3; ++i) {
    pids = Json::parse(runtime({"ps", "--format", "json", id}).output);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(pids.size(), 3u) << pids;
  auto table = runtime({"ps", id});
  EXPECT_NE(table.output.find("PID"), std::string::npos);
  EXPECT_NE(table.output.find("sleep 1000"), std::string::npos) << table.output;
  ASSERT_EQ(runtime({"pause", id}).status, 0);
  EXPECT_EQ(state(id)["status"], "paused");
  // A frozen task is in state D or its freezer says FROZEN; either way it is not running.
  auto resumedTwice = runtime({"resume", id});
  EXPECT_EQ(resumedTwice.status, 0) << resumedTwice.output;
  EXPECT_EQ(state(id)["status"], "running");
  auto notPaused = runtime({"resume", id});
  EXPECT_NE(notPaused.status, 0);
  EXPECT_NE(notPaused.output.find("it is running (needs to be paused)"), std::string::npos);
  ASSERT_EQ(runtime({"kill", "--all", id, "9"}).status, 0);
  EXPECT_TRUE(waitForStatus(
      *this, [&] { return state(id); }, "stopped"));
  for (const auto& pid : pids) {
    std::string proc = "/proc/" + std::to_string(pid.get<int>());
    bool gone = false;
    for (int i = 0; i < 200 && !gone; ++i) {
      std::ifstream stat(proc + "/stat");
      std::string text;
      std::getline(stat, text);
      gone = !stat || text.find(") Z ") != std::string::npos;
      if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(gone) << proc;
  }
}

TEST_F(LifecycleTest, KillTakesNamesAndNumbers) {
  // pid 1 of a pid namespace only gets signals it handles.
  config_["process"]["args"] = {"/bin/sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"};
  writeConfig();
  std::string id = newId();
  ASSERT_EQ(detached({"run", "-d", "--bundle", bundle_.path(), id}).status, 0);
  EXPECT_NE(runtime({"kill", id, "NOPE"}).output.find("unknown signal 'NOPE'"), std::string::npos);
  // A TERM sent before the shell has set its trap is dropped (a slow machine, e.g. the VM
  // harness under TCG, gets there first): wait until the init catches TERM.
  std::string status = "/proc/" + std::to_string(initPid(id)) + "/status";
  auto catchesTerm = [&] {
    std::ifstream in(status);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("SigCgt:", 0) == 0)
        return (std::stoull(line.substr(7), nullptr, 16) >> (SIGTERM - 1)) & 1;
    }
    return 0ull;
  };
  for (int i = 0; i < 500 && !catchesTerm(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(catchesTerm()) << "the container's shell never set its TERM trap";
  ASSERT_EQ(runtime({"kill", id, "SIGTERM"}).status, 0);
  EXPECT_TRUE(waitForStatus(
      *this, [&] { return state(id); }, "stopped"));
}

TEST_F(LifecycleTest, UnknownAndDuplicateIds) {
  auto unknown = runtime({"start", "no-such-container"});
  EXPECT_EQ(unknown.status, 1);
  EXPECT_NE(unknown.output.find("container 'no-such-container' does not exist"), std::string::npos)
      << unknown.output;
  std::string id = startSleeper();
  auto duplicate = detached({"create", "--bundle", bundle_.path(), id});
  EXPECT_NE(duplicate.status, 0);
  EXPECT_NE(duplicate.output.find("container '" + id + "' already exists"), std::string::npos)
      << duplicate.output;
  EXPECT_EQ(state(id)["status"], "running") << "the first container is untouched";
  auto bad = runtime({"create", "--bundle", bundle_.path(), "../escape"});
  EXPECT_NE(bad.output.find("may only contain letters, digits"), std::string::npos) << bad.output;
}

TEST_F(LifecycleTest, FeaturesAndSpec) {
  Json features = Json::parse(runtime({"features"}).output);
  EXPECT_EQ(features["ociVersionMax"], "1.1.0");
  EXPECT_EQ(features["hooks"].size(), 6u);
  EXPECT_EQ(features["linux"]["namespaces"].size(), 8u);
  EXPECT_TRUE(features["linux"]["seccomp"]["enabled"].get<bool>());
  t::TempDir dir("spacelet-spec");
  ASSERT_EQ(runtime({"spec", "--bundle", dir.path()}).status, 0);
  std::ifstream in(dir / "config.json");
  Json spec = Json::parse(in);
  EXPECT_EQ(spec["root"]["path"], "rootfs");
  auto again = runtime({"spec", "--bundle", dir.path()});
  EXPECT_NE(again.output.find("exists; remove it first"), std::string::npos);
}

}  // namespace
}  // namespace spacelet::sandbox::testing
