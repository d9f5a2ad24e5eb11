// The systemd driver on a real systemd (the VM harness's systemd mode; skipped where systemd
// is not PID 1): one transient scope per container in the configured slice, the limits as
// unit properties, Delegate=yes, the device filter, and - the known failure of other
// runtimes' systemd drivers - limits and device access that survive `systemctl daemon-reload`.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "cgroup.h"
#include "cgroup_test_util.h"

namespace spacelet::sandbox::cgroup {
namespace {

using testing::CgroupGuard;
using testing::GatedChild;
namespace fs = std::filesystem;
namespace st = spacelet::testing;

constexpr char kSlice[] = "spacelet-test.slice";
constexpr char kSliceDir[] = "/sys/fs/cgroup/spacelet.slice/spacelet-test.slice";  // nested

std::string systemdSkipReason() {
  if (auto why = st::requireRoot(); !why.empty()) return why;
  if (sd_booted() <= 0) {
    return "systemd is not PID 1 on this host; this runs in the VM harness's systemd mode";
  }
  auto v2 = testing::unifiedMount();
  if (!v2 || *v2 != "/sys/fs/cgroup") return "the systemd driver needs a pure cgroup v2 host";
  return "";
}

// `systemctl show -p NAME --value UNIT`.
std::string unitProperty(const std::string& unit, const std::string& name) {
  auto r = st::runCommand({"systemctl", "show", "-p", name, "--value", unit});
  std::string out = r.output;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Opens /dev/null and /dev/zero in a process placed in the scope: bit 1 = null opened,
// bit 2 = zero opened, bit 4 = zero refused with EPERM.
int probeDevices(Manager& m) {
  GatedChild child([] {
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    int zero = ::open("/dev/zero", O_RDONLY | O_CLOEXEC);
    int zeroErr = errno;
    return (null >= 0 ? 1 : 0) | (zero >= 0 ? 2 : (zeroErr == EPERM ? 4 : 0));
  });
  EXPECT_TRUE(m.addProcess(child.pid()));
  child.release();
  int status = child.wait();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class SystemdDriver : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = systemdSkipReason(); !why.empty()) GTEST_SKIP() << why;
    options_.systemd = true;
    options_.containerId = testing::uniqueId("sd");
    options_.systemdSlice = kSlice;
  }

  std::unique_ptr<Manager> start(const Resources& r, GatedChild& init) {
    auto m = open(options_);
    EXPECT_TRUE(m) << m.error().message;
    if (!m) return nullptr;
    auto created = (*m)->create(r);
    EXPECT_TRUE(created) << created.error().message;
    auto added = (*m)->addProcess(init.pid());
    EXPECT_TRUE(added) << added.error().message;
    init.release();
    return created && added ? std::move(*m) : nullptr;
  }
  std::string unit() const { return "spacelet-" + options_.containerId + ".scope"; }
  std::string dir() const { return std::string(kSliceDir) + "/" + unit(); }
  // The delegated leaf below the scope that holds the container's processes.
  std::string payload() const { return dir() + "/container"; }

  Options options_;
};

Resources limits() {
  Resources r;
  r.memory = Memory{.limit = 64 << 20};
  r.cpu = Cpu{.quota = 50000, .period = 100000};
  r.pidsLimit = 32;
  r.devices = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}};
  r.unified = {{"memory.high", "62914560"}, {"memory.oom.group", "1"}};
  return r;
}

int parkForever() {
  for (;;) ::pause();
}

TEST_F(SystemdDriver, ScopeCarriesTheLimitsAsPropertiesAndDelegates) {
  GatedChild init(parkForever);
  auto m = start(limits(), init);
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  EXPECT_EQ(unitProperty(unit(), "ActiveState"), "active");
  EXPECT_EQ(unitProperty(unit(), "Slice"), kSlice);
  EXPECT_EQ(unitProperty(unit(), "Delegate"), "yes");
  EXPECT_EQ(unitProperty(unit(), "MemoryMax"), "67108864");
  EXPECT_EQ(unitProperty(unit(), "MemorySwapMax"), "0");
  EXPECT_EQ(unitProperty(unit(), "TasksMax"), "32");
  EXPECT_EQ(unitProperty(unit(), "CPUQuotaPerSecUSec"), "500ms");
  EXPECT_EQ(unitProperty(unit(), "DevicePolicy"), "strict");
  EXPECT_EQ(testing::readText(dir() + "/memory.max"), "67108864");
  EXPECT_EQ(unitProperty(unit(), "MemoryHigh"), "62914560");  // a unified key systemd manages
  EXPECT_EQ(testing::readText(dir() + "/memory.high"), "62914560");
  EXPECT_EQ(testing::readText(payload() + "/memory.oom.group"), "1");  // written directly
  // The container reads its limits in its own cgroup, the leaf, too.
  EXPECT_EQ(testing::readText(payload() + "/memory.max"), "67108864");
  EXPECT_EQ(testing::readText(payload() + "/pids.max"), "32");
  EXPECT_EQ(testing::readText(payload() + "/cpu.max"), "50000 100000");
  EXPECT_EQ(testing::readText(payload() + "/cgroup.procs"), std::to_string(init.pid()));
  EXPECT_EQ(testing::readText(dir() + "/cgroup.procs"), "");  // the scope holds no process
  EXPECT_EQ(testing::readText(dir() + "/pids.max"), "32");
  EXPECT_EQ(testing::readText(dir() + "/cpu.max"), "50000 100000");
  EXPECT_EQ(*m->pids(), std::vector<pid_t>{init.pid()});
  EXPECT_EQ(m->stats()->memoryMax, int64_t{64} << 20);
  EXPECT_EQ(probeDevices(*m), 1 | 4);
}

TEST_F(SystemdDriver, LimitsAndDeviceAccessSurviveDaemonReload) {
  GatedChild init(parkForever);
  auto m = start(limits(), init);
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  ASSERT_EQ(probeDevices(*m), 1 | 4);
  auto reload = st::runCommand({"systemctl", "daemon-reload"});
  ASSERT_EQ(reload.status, 0) << reload.output;
  EXPECT_EQ(testing::readText(dir() + "/memory.max"), "67108864");
  EXPECT_EQ(testing::readText(dir() + "/memory.swap.max"), "0");
  EXPECT_EQ(testing::readText(dir() + "/pids.max"), "32");
  EXPECT_EQ(testing::readText(dir() + "/cpu.max"), "50000 100000");
  EXPECT_EQ(testing::readText(dir() + "/memory.high"), "62914560");
  EXPECT_EQ(testing::readText(payload() + "/memory.oom.group"), "1");
  EXPECT_EQ(probeDevices(*m), 1 | 4) << "after daemon-reload /dev/null must still open and "
                                        "/dev/zero still be refused";
}

TEST_F(SystemdDriver, UpdateSetsPropertiesAndFreezeKillDestroyWork) {
  GatedChild init(parkForever);
  auto m = start(limits(), init);
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  Resources next;
  next.memory = Memory{.limit = 128 << 20};
  next.pidsLimit = 64;
  auto updated = m->update(next);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(unitProperty(unit(), "MemoryMax"), "134217728");
  EXPECT_EQ(testing::readText(dir() + "/pids.max"), "64");
  EXPECT_EQ(testing::readText(payload() + "/pids.max"), "64");
  EXPECT_EQ(testing::readText(payload() + "/memory.max"), "134217728");
  ASSERT_TRUE(m->freeze());
  EXPECT_EQ(testing::readText(payload() + "/cgroup.freeze"), "1");
  ASSERT_TRUE(m->thaw());
  auto reopened = reopen(options_, m->persistentPath());
  ASSERT_TRUE(reopened) << reopened.error().message;
  ASSERT_TRUE((*reopened)->killAll(SIGKILL));
  EXPECT_TRUE(WIFSIGNALED(init.wait()));
  auto destroyed = (*reopened)->destroy();
  ASSERT_TRUE(destroyed) << destroyed.error().message;
  EXPECT_FALSE(fs::exists(dir()));
  EXPECT_NE(unitProperty(unit(), "ActiveState"), "active");
}

TEST_F(SystemdDriver, RuncStyleCgroupsPathNamesSliceAndScope) {
  options_.cgroupsPath = std::string(kSlice) + ":sltest:" + options_.containerId;
  GatedChild init(parkForever);
  auto m = start(Resources{}, init);
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  std::string scope = "sltest-" + options_.containerId + ".scope";
  EXPECT_EQ(unitProperty(scope, "ActiveState"), "active");
  EXPECT_TRUE(fs::is_directory(std::string(kSliceDir) + "/" + scope));
}

// A container through `spacelet-run --systemd-cgroup`: its scope carries the limits, the
// container reads them in its own cgroup, and after daemon-reload an exec'd process still
// gets them (and a memory hog is still OOM-killed).
class SystemdRuntime : public SystemdDriver {
 protected:
  void SetUp() override {
    SystemdDriver::SetUp();
    if (IsSkipped()) return;
    if (!fs::exists(st::runtimePath())) GTEST_SKIP() << "spacelet-run is not built";
    std::string why = st::makeBusyboxRootfs(bundle_ / "rootfs");
    ASSERT_TRUE(why.empty()) << why;
  }
  void TearDown() override {
    if (options_.containerId.empty() || !fs::exists(st::runtimePath())) return;
    runtime({"kill", "--all", options_.containerId, "KILL"});
    runtime({"delete", "--force", options_.containerId});
  }
  st::CommandResult runtime(std::vector<std::string> args) {
    args.insert(args.begin(), {st::runtimePath(), "--systemd-cgroup", "--root", root_.path()});
    return st::runCommand(args);
  }
  void writeConfig() {
    nlohmann::json config = nlohmann::json::parse(R"({
      "ociVersion": "1.1.0",
      "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "cwd": "/",
                  "args": ["/bin/sleep", "1000"], "env": ["PATH=/bin"]},
      "root": {"path": "rootfs"},
      "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                 {"destination": "/sys", "type": "sysfs", "source": "sysfs",
                  "options": ["nosuid", "noexec", "nodev", "ro"]},
                 {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                  "options": ["nosuid", "noexec", "nodev", "ro"]}],
      "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "cgroup"}],
                "resources": {"memory": {"limit": 67108864}, "pids": {"limit": 32}}}
    })");
    config["linux"]["cgroupsPath"] = std::string(kSlice) + ":sltest:" + options_.containerId;
    std::ofstream(bundle_ / "config.json") << config.dump();
  }
  // The limits the probe sees from inside, through `spacelet-run exec`.
  nlohmann::json limitsInside() {
    auto r = runtime({"exec", options_.containerId, "/bin/spacelet-probe", "cgroup"});
    EXPECT_EQ(r.status, 0) << r.output;
    return nlohmann::json::parse(r.output.substr(r.output.find('{')));
  }

  st::TempDir bundle_{"spacelet-bundle"};
  st::TempDir root_{"spacelet-state"};
};

TEST_F(SystemdRuntime, ContainerScopeLimitsSurviveDaemonReload) {
  writeConfig();
  std::string cmd = st::runtimePath() + " --systemd-cgroup --root " + root_.path() +
                    " run -d --bundle " + bundle_.path() + " " + options_.containerId +
                    " </dev/null >/dev/null 2>&1";
  ASSERT_EQ(st::runCommand({"/bin/sh", "-c", cmd}).status, 0);
  std::string scope = "sltest-" + options_.containerId + ".scope";
  EXPECT_EQ(unitProperty(scope, "ActiveState"), "active");
  EXPECT_EQ(unitProperty(scope, "MemoryMax"), "67108864");
  EXPECT_EQ(unitProperty(scope, "TasksMax"), "32");
  auto inside = limitsInside();
  EXPECT_EQ(inside.value("memory.max", ""), "67108864") << inside.dump();
  EXPECT_EQ(inside.value("pids.max", ""), "32") << inside.dump();
  EXPECT_EQ(inside.value("memory.swap.max", ""), "0") << inside.dump();
  auto reload = st::runCommand({"systemctl", "daemon-reload"});
  ASSERT_EQ(reload.status, 0) << reload.output;
  inside = limitsInside();
  EXPECT_EQ(inside.value("memory.max", ""), "67108864") << inside.dump();
  EXPECT_EQ(inside.value("pids.max", ""), "32") << inside.dump();
  auto hog = runtime({"exec", options_.containerId, "/bin/spacelet-probe", "hog-memory", "256"});
  EXPECT_EQ(hog.status, 128 + SIGKILL) << "a 256 MiB hog under a 64 MiB limit: " << hog.output;
  ASSERT_EQ(runtime({"kill", "--all", options_.containerId, "KILL"}).status, 0);
  for (int i = 0; i < 100 && unitProperty(scope, "ActiveState") == "active"; ++i) ::usleep(20000);
  auto deleted = runtime({"delete", options_.containerId});
  EXPECT_EQ(deleted.status, 0) << deleted.output;
  EXPECT_FALSE(fs::exists(std::string(kSliceDir) + "/" + scope));
}

}  // namespace
}  // namespace spacelet::sandbox::cgroup
