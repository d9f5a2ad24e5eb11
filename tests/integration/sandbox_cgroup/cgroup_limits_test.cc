// Container-level cgroup checks through spacelet-run (issue 3's list): a memory limit
// OOM-kills a hog and is counted, a CPU quota gives a busy loop half a CPU, shares set the
// weight, a pids limit stops a fork bomb, the device filter allows one node and denies
// another, pause/resume freeze and thaw, kill --all and delete leave nothing, and update
// changes a running container's limits; crun runs the same bundle with the same limits (pure
// v2 only). Runs on this host's hybrid layout (v1 files) and on a pure v2 kernel (the VM
// harness), asserting each through the files of that hierarchy.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "cgroup_test_util.h"
#include "test_env.h"

namespace spacelet::sandbox::cgroup {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;
namespace st = spacelet::testing;

// The controllers whose directories a container gets on a hybrid host.
const char* const kV1Controllers[] = {"memory", "cpu", "cpuacct", "pids", "freezer", "devices"};

class ContainerLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = st::requireRoot(); !why.empty()) GTEST_SKIP() << why;
    if (!fs::exists(st::runtimePath())) {
      GTEST_SKIP() << "spacelet-run is not built at " << st::runtimePath();
    }
    auto v2 = testing::unifiedMount();
    pureV2_ = v2 && *v2 == "/sys/fs/cgroup";
    id_ = testing::uniqueId("ctr");
    std::string why = st::makeBusyboxRootfs(bundle_ / "rootfs");
    ASSERT_TRUE(why.empty()) << why;
    // v2: a sibling of this process's leaf cgroup (its parent delegates every controller);
    // v1: below this process's own cgroup of each controller.
    cgroupsPath_ = pureV2_ ? testing::siblingCgroup(id_) : "sltest/" + id_;
  }

  void TearDown() override {
    if (id_.empty() || !fs::exists(st::runtimePath())) return;
    runtime({"kill", "--all", id_, "KILL"});
    runtime({"delete", "--force", id_});
  }

  // A small config.json of our own (not `spacelet-run spec`'s), so these tests pin exactly
  // what they depend on.
  json config(const std::vector<std::string>& args, const json& resources) {
    // CAP_SYSLOG: /dev/kmsg checks it on open; with it, only the device cgroup can refuse.
    json caps = {"CAP_KILL", "CAP_MKNOD", "CAP_SETUID", "CAP_SETGID", "CAP_SYSLOG"};
    json linuxSection = {{"namespaces",
                          {{{"type", "pid"}},
                           {{"type", "ipc"}},
                           {{"type", "uts"}},
                           {{"type", "mount"}},
                           {{"type", "network"}}}},
                         {"resources", resources},
                         {"cgroupsPath", cgroupsPath_}};
    if (!linuxSection["resources"].contains("devices")) {
      linuxSection["resources"]["devices"] = json::array({{{"allow", false}, {"access", "rwm"}}});
    }
    return {{"ociVersion", "1.1.0"},
            {"process",
             {{"terminal", false},
              {"user", {{"uid", 0}, {"gid", 0}}},
              {"args", args},
              {"env", {"PATH=/bin:/sbin:/usr/bin"}},
              {"cwd", "/"},
              {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
              {"noNewPrivileges", true}}},
            {"root", {{"path", "rootfs"}, {"readonly", false}}},
            {"hostname", "limits"},
            {"linux", linuxSection}};
  }

  void writeConfig(const std::vector<std::string>& args, const json& resources) {
    json mounts = json::parse(R"([
      {"destination": "/proc", "type": "proc", "source": "proc"},
      {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
       "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
      {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}])");
    for (const auto& m : extraMounts_) mounts.push_back(m);
    json c = config(args, resources);
    c["mounts"] = mounts;
    std::ofstream(bundle_ / "config.json") << c.dump(2);
  }

  st::CommandResult runtime(std::vector<std::string> args) {
    args.insert(args.begin(), {st::runtimePath(), "--root", stateRoot_.path()});
    return st::runCommand(args);
  }

  // Runs spacelet-run with the container's stdio in a log file, so that a detached
  // container does not hold this process's pipe open.
  int runtimeToLog(const std::string& args) {
    std::string cmd = st::runtimePath() + " --root " + stateRoot_.path() + " " + args +
                      " </dev/null >" + (bundle_ / "log") + " 2>&1";
    return st::runCommand({"/bin/sh", "-c", cmd}).status;
  }
  std::string log() { return testing::readText(bundle_ / "log"); }

  json state() {
    auto r = runtime({"state", id_});
    EXPECT_EQ(r.status, 0) << r.output;
    return r.status == 0 ? json::parse(r.output) : json();
  }
  bool waitForStatus(const std::string& status) {
    for (int i = 0; i < 300; ++i) {
      if (state().value("status", "") == status) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  // The container's directory of `controller`'s hierarchy (v2: the one directory).
  std::string dir(const std::string& controller) {
    if (pureV2_) return "/sys/fs/cgroup" + cgroupsPath_;
    std::istringstream in(testing::readText("/proc/self/cgroup"));
    std::string line, own = "/";
    while (std::getline(in, line)) {
      size_t first = line.find(':'), second = line.find(':', first + 1);
      std::string list = line.substr(first + 1, second - first - 1);
      if (("," + list + ",").find("," + controller + ",") != std::string::npos) {
        own = line.substr(second + 1);
      }
    }
    return "/sys/fs/cgroup/" + controller + (own == "/" ? "" : own) + "/" + cgroupsPath_;
  }
  std::string file(const std::string& controller, const std::string& name) {
    return testing::readText(dir(controller) + "/" + name);
  }
  uint64_t keyed(const std::string& controller, const std::string& name, const std::string& key) {
    std::istringstream in(file(controller, name));
    std::string k;
    uint64_t v;
    while (in >> k >> v) {
      if (k == key) return v;
    }
    ADD_FAILURE() << "no '" << key << "' in " << dir(controller) << "/" << name;
    return 0;
  }
  // CPU time used by the container so far, in microseconds.
  uint64_t cpuUsageUsec() {
    if (pureV2_) return keyed("cpu", "cpu.stat", "usage_usec");
    return std::stoull(file("cpuacct", "cpuacct.usage")) / 1000;
  }
  size_t processCount() {
    std::istringstream in(file(pureV2_ ? "cpu" : "pids", "cgroup.procs"));
    size_t n = 0;
    std::string pid;
    while (in >> pid) ++n;
    return n;
  }
  std::vector<std::string> allDirs() {
    if (pureV2_) return {dir("cpu")};
    std::vector<std::string> dirs;
    for (const char* c : kV1Controllers) dirs.push_back(dir(c));
    return dirs;
  }

  bool pureV2_ = false;
  std::string id_, cgroupsPath_;
  st::TempDir bundle_{"spacelet-bundle"};
  st::TempDir stateRoot_{"spacelet-state"};
  json extraMounts_ = json::array();
};

TEST_F(ContainerLimits, MemoryLimitOomKillsTheHogAndTheRuntimeSaysSo) {
  writeConfig({"/bin/spacelet-probe", "hog-memory", "512"}, {{"memory", {{"limit", 64 << 20}}}});
  int status = runtimeToLog("run --keep --bundle " + bundle_.path() + " " + id_);
  EXPECT_EQ(status, 128 + SIGKILL) << log();
  json s = state();
  EXPECT_EQ(s.value("status", ""), "stopped") << s.dump();
  EXPECT_EQ(s.value("exitStatus", -1), 128 + SIGKILL) << s.dump();
  if (pureV2_) {
    EXPECT_EQ(file("memory", "memory.max"), "67108864");
    EXPECT_GE(keyed("memory", "memory.events", "oom_kill"), 1u);
    ASSERT_TRUE(fs::exists(dir("memory") + "/memory.swap.max")) << "no swap accounting";
    EXPECT_EQ(file("memory", "memory.swap.max"), "0") << "swap was not granted";
  } else {
    EXPECT_EQ(file("memory", "memory.limit_in_bytes"), "67108864");
    EXPECT_GE(keyed("memory", "memory.oom_control", "oom_kill"), 1u);
    EXPECT_EQ(file("memory", "memory.memsw.limit_in_bytes"), "67108864")
        << "swap was not granted: memory+swap equals the limit";
  }
}

TEST_F(ContainerLimits, CpuQuotaGivesABusyLoopHalfACpuAndSharesSetTheWeight) {
  writeConfig({"/bin/spacelet-probe", "spin", "60"},
              {{"cpu", {{"quota", 50000}, {"period", 100000}, {"shares", 2048}}}});
  ASSERT_EQ(runtimeToLog("run -d --bundle " + bundle_.path() + " " + id_), 0) << log();
  if (pureV2_) {
    EXPECT_EQ(file("cpu", "cpu.max"), "50000 100000");
    EXPECT_EQ(file("cpu", "cpu.weight"), "174");  // shares 2048, runc's conversion
  } else {
    EXPECT_EQ(file("cpu", "cpu.cfs_quota_us"), "50000");
    EXPECT_EQ(file("cpu", "cpu.cfs_period_us"), "100000");
    EXPECT_EQ(file("cpu", "cpu.shares"), "2048");
  }
  std::this_thread::sleep_for(300ms);  // past the start-up
  uint64_t before = cpuUsageUsec();
  auto start = std::chrono::steady_clock::now();
  testing::CpuReference reference;
  std::this_thread::sleep_for(3s);
  uint64_t after = cpuUsageUsec();
  double anchor = reference.stop();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double cpus = double(after - before) / 1e6 / wall;
  // 0.5 +- 0.1 on an idle machine; on a loaded one, what an uncapped loop got, if less.
  testing::expectCpuRate(cpus, 0.5, anchor);
}

TEST_F(ContainerLimits, PidsLimitStopsAForkBombWithEagain) {
  writeConfig({"/bin/spacelet-probe", "fork-bomb", "1000"}, {{"pids", {{"limit", 16}}}});
  int status = runtimeToLog("run --bundle " + bundle_.path() + " " + id_);
  ASSERT_EQ(status, 0) << log();
  std::string out = log();
  json report = json::parse(out.substr(out.find('{')));
  EXPECT_EQ(report.value("errno", 0), EAGAIN) << out;
  EXPECT_LT(report.value("forked", 1000), 16) << out;
}

TEST_F(ContainerLimits, AContainerAtItsPidsLimitStaysKillable) {
  writeConfig({"/bin/spacelet-probe", "fork-hold", "1000"}, {{"pids", {{"limit", 16}}}});
  ASSERT_EQ(runtimeToLog("run -d --bundle " + bundle_.path() + " " + id_), 0) << log();
  for (int i = 0; i < 300 && processCount() < 16; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(processCount(), 16u);
  for (int i = 0; i < 300 && log().find('{') == std::string::npos; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(log().find("\"errno\":" + std::to_string(EAGAIN)), std::string::npos) << log();
  auto killed = runtime({"kill", "--all", id_, "KILL"});
  ASSERT_EQ(killed.status, 0) << killed.output;
  EXPECT_TRUE(waitForStatus("stopped"));
  for (int i = 0; i < 200 && processCount() > 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(processCount(), 0u);
}

TEST_F(ContainerLimits, DeviceFilterAllowsOneNodeAndDeniesAnother) {
  // /dev/kmsg (c 1:11) is bound in from the host but not granted by any rule.
  extraMounts_.push_back({{"destination", "/dev/kmsg"},
                          {"type", "bind"},
                          {"source", "/dev/kmsg"},
                          {"options", {"bind"}}});
  auto probeBoth = [&](const json& devices) {
    writeConfig({"/bin/sh", "-c",
                 "spacelet-probe open /dev/null rw; spacelet-probe open /dev/kmsg r; "
                 "spacelet-probe open /dev/kmsg w"},
                {{"devices", devices}});
    int status = runtimeToLog("run --bundle " + bundle_.path() + " " + id_);
    EXPECT_EQ(status, 0) << log();
    std::vector<json> results;
    std::istringstream in(log());
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line[0] == '{') results.push_back(json::parse(line));
    }
    return results;
  };
  auto denied = probeBoth(json::array({{{"allow", false}, {"access", "rwm"}}}));
  ASSERT_EQ(denied.size(), 3u) << log();
  EXPECT_TRUE(denied[0].value("ok", false)) << denied[0].dump();
  EXPECT_EQ(denied[1].value("errno", 0), EPERM) << denied[1].dump();
  EXPECT_EQ(denied[2].value("errno", 0), EPERM) << denied[2].dump();
  auto readable = probeBoth(json::array(
      {{{"allow", false}, {"access", "rwm"}},
       {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 11}, {"access", "r"}}}));
  ASSERT_EQ(readable.size(), 3u) << log();
  EXPECT_TRUE(readable[1].value("ok", false)) << "read granted: " << readable[1].dump();
  EXPECT_EQ(readable[2].value("errno", 0), EPERM) << "write not granted: " << readable[2].dump();
}

TEST_F(ContainerLimits, PauseFreezesAndResumeThaws) {
  writeConfig({"/bin/spacelet-probe", "spin", "60"}, json::object());
  ASSERT_EQ(runtimeToLog("run -d --bundle " + bundle_.path() + " " + id_), 0) << log();
  std::this_thread::sleep_for(200ms);
  auto paused = runtime({"pause", id_});
  ASSERT_EQ(paused.status, 0) << paused.output;
  EXPECT_EQ(state().value("status", ""), "paused");
  if (pureV2_) {
    EXPECT_EQ(file("cpu", "cgroup.freeze"), "1");
    EXPECT_EQ(keyed("cpu", "cgroup.events", "frozen"), 1u);
  } else {
    EXPECT_EQ(file("freezer", "freezer.state"), "FROZEN");
  }
  uint64_t frozenAt = cpuUsageUsec();
  std::this_thread::sleep_for(500ms);
  EXPECT_LT(cpuUsageUsec() - frozenAt, 5000u) << "a paused container kept running";
  auto resumed = runtime({"resume", id_});
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_EQ(state().value("status", ""), "running");
  uint64_t thawedAt = cpuUsageUsec();
  for (int i = 0; i < 100 && cpuUsageUsec() - thawedAt < 50000; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_GE(cpuUsageUsec() - thawedAt, 50000u) << "a resumed container did not run";
}

TEST_F(ContainerLimits, KillAllAndDeleteLeaveNoProcessAndNoCgroup) {
  writeConfig({"/bin/sh", "-c", "sleep 1000 & sleep 1000 & sleep 1000 & wait"},
              {{"pids", {{"limit", 100}}}, {"memory", {{"limit", 256 << 20}}}});
  ASSERT_EQ(runtimeToLog("run -d --bundle " + bundle_.path() + " " + id_), 0) << log();
  for (int i = 0; i < 200 && processCount() < 4; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(processCount(), 4u);
  std::vector<std::string> dirs = allDirs();
  for (const auto& d : dirs) EXPECT_TRUE(fs::is_directory(d)) << d;
  auto killed = runtime({"kill", "--all", id_, "KILL"});
  ASSERT_EQ(killed.status, 0) << killed.output;
  EXPECT_TRUE(waitForStatus("stopped"));
  for (int i = 0; i < 200 && processCount() > 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(processCount(), 0u);
  auto deleted = runtime({"delete", id_});
  ASSERT_EQ(deleted.status, 0) << deleted.output;
  for (const auto& d : dirs) EXPECT_FALSE(fs::exists(d)) << d << " is left behind";
}

TEST_F(ContainerLimits, UpdateChangesTheLimitsOfARunningContainer) {
  writeConfig({"/bin/sleep", "1000"}, {{"memory", {{"limit", 64 << 20}}},
                                       {"pids", {{"limit", 10}}},
                                       {"cpu", {{"quota", 50000}, {"period", 100000}}}});
  ASSERT_EQ(runtimeToLog("run -d --bundle " + bundle_.path() + " " + id_), 0) << log();
  std::ofstream(bundle_ / "update.json")
      << R"({"memory": {"limit": 134217728}, "pids": {"limit": 32},
             "cpu": {"quota": 20000, "period": 100000}})";
  auto updated = runtime({"update", "--resources", bundle_ / "update.json", id_});
  ASSERT_EQ(updated.status, 0) << updated.output;
  if (pureV2_) {
    EXPECT_EQ(file("memory", "memory.max"), "134217728");
    EXPECT_EQ(file("pids", "pids.max"), "32");
    EXPECT_EQ(file("cpu", "cpu.max"), "20000 100000");
  } else {
    EXPECT_EQ(file("memory", "memory.limit_in_bytes"), "134217728");
    EXPECT_EQ(file("pids", "pids.max"), "32");
    EXPECT_EQ(file("cpu", "cpu.cfs_quota_us"), "20000");
  }
  EXPECT_EQ(state().value("status", ""), "running");
}

// The same bundle, limits and all, under crun: Debian's crun refuses this host's hybrid layout
// and works on pure cgroup v2, where it must agree with spacelet-run on every file.
TEST_F(ContainerLimits, CrunRunsTheSameBundleWithTheSameLimits) {
  if (!pureV2_) GTEST_SKIP() << "Debian's crun refuses hybrid cgroup hosts; runs on pure v2 (VM)";
  if (st::runCommand({"/bin/sh", "-c", "command -v crun"}).status != 0) {
    GTEST_SKIP() << "crun is not installed (packaging/build-deps.sh installs it)";
  }
  writeConfig({"/bin/spacelet-probe", "hog-memory", "512"},
              {{"memory", {{"limit", 64 << 20}}},
               {"pids", {{"limit", 32}}},
               {"cpu", {{"quota", 50000}, {"period", 100000}}}});
  std::string crun = "crun --root " + stateRoot_ / "crun";
  struct Cleanup {
    std::string command;
    ~Cleanup() { st::runCommand({"/bin/sh", "-c", command}); }
  } cleanup{crun + " delete --force " + id_ + " >/dev/null 2>&1"};
  auto sh = [](const std::string& command) { return st::runCommand({"/bin/sh", "-c", command}); };
  auto created = sh(crun + " create --bundle " + bundle_.path() + " " + id_ + " </dev/null >" +
                    (bundle_ / "log") + " 2>&1");
  ASSERT_EQ(created.status, 0) << log();
  EXPECT_EQ(file("memory", "memory.max"), "67108864");
  EXPECT_EQ(file("pids", "pids.max"), "32");
  EXPECT_EQ(file("cpu", "cpu.max"), "50000 100000");
  // (No shares: Debian's crun 1.8 maps them to cpu.weight linearly, 2048 -> 79, where
  // spacelet-run and current runc/crun use the newer mapping, 2048 -> 174.)
  auto started = sh(crun + " start " + id_);
  ASSERT_EQ(started.status, 0) << started.output;
  std::string status;
  for (int i = 0; i < 500 && status != "stopped"; ++i) {
    std::this_thread::sleep_for(20ms);
    auto r = sh(crun + " state " + id_);
    status = r.status == 0 ? json::parse(r.output).value("status", "") : r.output;
  }
  EXPECT_EQ(status, "stopped") << log();
  EXPECT_GE(keyed("memory", "memory.events", "oom_kill"), 1u) << log();
  EXPECT_EQ(log().find("\"ok\":true"), std::string::npos) << "the hog survived: " << log();
  auto deleted = sh(crun + " delete " + id_);
  EXPECT_EQ(deleted.status, 0) << deleted.output;
  EXPECT_FALSE(fs::exists(dir("memory"))) << dir("memory") << " is left behind";
}

}  // namespace
}  // namespace spacelet::sandbox::cgroup
