// The v1 / hybrid driver on this host's real cgroups: limits that really bite (OOM kill,
// fork EAGAIN, CPU throttling), freeze/thaw, kill, update, devices, and clean removal.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include <gtest/gtest.h>

#include "cgroup.h"
#include "cgroup_test_util.h"

namespace spacelet::sandbox::cgroup {
namespace {

using namespace std::chrono_literals;
using testing::CgroupGuard;
using testing::GatedChild;
namespace fs = std::filesystem;

class V1Driver : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = testing::skipUnlessMode(Mode::kHybrid); !why.empty()) GTEST_SKIP() << why;
    options_.containerId = testing::uniqueId("v1");
  }

  std::unique_ptr<Manager> create(const Resources& resources) {
    auto m = open(options_);
    EXPECT_TRUE(m) << m.error().message;
    if (!m) return nullptr;
    EXPECT_NE((*m)->mode(), Mode::kUnified);
    auto created = (*m)->create(resources);
    EXPECT_TRUE(created) << created.error().message;
    if (!created) return nullptr;
    return std::move(*m);
  }

  std::string dir(const Manager& m, const std::string& mount) {
    return testing::cgroupDir(m, options_.root, mount);
  }

  Options options_;
};

TEST_F(V1Driver, MemoryLimitOomKillsAChildAndCountsIt) {
  Resources r;
  r.memory = Memory{.limit = 32 << 20};
  auto m = create(r);
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  EXPECT_EQ(testing::readText(dir(*m, "memory") + "/memory.limit_in_bytes"), "33554432");
  EXPECT_EQ(testing::readText(dir(*m, "memory") + "/memory.memsw.limit_in_bytes"), "33554432");
  GatedChild child([] { return testing::hogMemory(256); });
  ASSERT_TRUE(m->addProcess(child.pid()));
  child.release();
  int status = child.wait();
  ASSERT_TRUE(WIFSIGNALED(status)) << "the hog exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  auto stats = m->stats();
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_GE(stats->oomKills, 1u);
  EXPECT_EQ(stats->memoryMax, int64_t{32} << 20);
}

TEST_F(V1Driver, PidsLimitMakesForkFailWithEagain) {
  Resources r;
  r.pidsLimit = 5;
  auto m = create(r);
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  GatedChild child([&] {
    int forked = 0, err = 0;
    for (; forked < 50; ++forked) {
      pid_t pid = ::fork();
      if (pid == 0) {
        ::pause();
        ::_exit(0);
      }
      if (pid < 0) {
        err = errno;
        break;
      }
    }
    int out[2] = {forked, err};
    (void)!::write(report[1], out, sizeof out);
    ::pause();
    return 0;
  });
  ::close(report[1]);
  ASSERT_TRUE(m->addProcess(child.pid()));
  child.release();
  int result[2] = {-1, -1};
  ASSERT_EQ(::read(report[0], result, sizeof result), ssize_t(sizeof result));
  ::close(report[0]);
  EXPECT_EQ(result[1], EAGAIN);
  EXPECT_EQ(result[0], 4);  // the child itself is the fifth task
  auto stats = m->stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->pidsCurrent, 5u);
  // The container stays killable at its limit.
  ASSERT_TRUE(m->killAll(SIGKILL));
  EXPECT_TRUE(WIFSIGNALED(child.wait()));
}

TEST_F(V1Driver, CpuQuotaThrottlesABusyLoop) {
  Resources r;
  r.cpu = Cpu{.quota = 20000, .period = 100000};
  auto m = create(r);
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  EXPECT_EQ(testing::readText(dir(*m, "cpu") + "/cpu.cfs_quota_us"), "20000");
  GatedChild child([] {
    for (;;) {
    }
    return 0;
  });
  ASSERT_TRUE(m->addProcess(child.pid()));
  auto before = m->stats();
  ASSERT_TRUE(before);
  auto start = std::chrono::steady_clock::now();
  testing::CpuReference reference;
  child.release();
  std::this_thread::sleep_for(1500ms);
  auto after = m->stats();
  ASSERT_TRUE(after);
  double anchor = reference.stop();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double cpus = double(after->cpuUsageUsec - before->cpuUsageUsec) / 1e6 / wall;
  testing::expectCpuRate(cpus, 0.2, anchor);
  std::string stat = testing::readText(dir(*m, "cpu") + "/cpu.stat");
  auto throttled = stat.find("nr_throttled ");
  ASSERT_NE(throttled, std::string::npos);
  if (anchor > 0.3) {  // the loop could have used more than its quota: it was throttled
    EXPECT_GT(std::stoul(stat.substr(throttled + 13)), 5u) << stat;
  }
}

TEST_F(V1Driver, FreezeAndThawReallyStopAndResume) {
  auto m = create(Resources{});
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  void* shared = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(shared, MAP_FAILED);
  auto* counter = new (shared) std::atomic<uint64_t>(0);
  GatedChild child([counter] {
    for (;;) counter->fetch_add(1, std::memory_order_relaxed);
    return 0;
  });
  ASSERT_TRUE(m->addProcess(child.pid()));
  child.release();
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(m->freeze());
  EXPECT_TRUE(*m->frozen());
  EXPECT_EQ(testing::readText(dir(*m, "freezer") + "/freezer.state"), "FROZEN");
  uint64_t stopped = *counter;
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(*counter, stopped) << "a frozen process kept counting";
  ASSERT_TRUE(m->thaw());
  EXPECT_FALSE(*m->frozen());
  std::this_thread::sleep_for(100ms);
  EXPECT_GT(*counter, stopped) << "a thawed process did not resume";
  ::munmap(shared, 4096);
}

TEST_F(V1Driver, KillAllLeavesNothingAndDestroyRemovesEveryDirectory) {
  auto m = create(Resources{});
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  auto saved = nlohmann::json::parse(m->persistentPath());
  std::vector<std::string> dirs;
  for (const auto& d : saved.at("dirs")) {
    dirs.push_back(options_.root + "/" + d.at("mount").get<std::string>() +
                   d.at("path").get<std::string>());
    EXPECT_TRUE(fs::is_directory(dirs.back())) << dirs.back();
  }
  EXPECT_GE(dirs.size(), 6u);  // memory, cpu, cpuacct, cpuset, pids, freezer, devices, ...
  GatedChild child([] {
    for (int i = 0; i < 3; ++i) {
      if (::fork() == 0) ::pause();
    }
    ::pause();
    return 0;
  });
  ASSERT_TRUE(m->addProcess(child.pid()));
  child.release();
  for (int i = 0; i < 100 && m->pids()->size() < 4; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(m->pids()->size(), 4u);
  ASSERT_TRUE(m->killAll(SIGKILL));
  EXPECT_TRUE(WIFSIGNALED(child.wait()));
  for (int i = 0; i < 100 && !m->pids()->empty(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(m->pids()->empty());
  auto destroyed = m->destroy();
  ASSERT_TRUE(destroyed) << destroyed.error().message;
  for (const std::string& d : dirs) EXPECT_FALSE(fs::exists(d)) << d;
}

TEST_F(V1Driver, SignalOtherThanKillReachesEveryProcess) {
  auto m = create(Resources{});
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  GatedChild child([] {
    ::pause();
    return 0;
  });
  ASSERT_TRUE(m->addProcess(child.pid()));
  child.release();
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(m->killAll(SIGTERM));
  int status = child.wait();
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_FALSE(*m->frozen());  // killAll thawed what it froze
}

TEST_F(V1Driver, UpdateChangesLimitsOfARunningGroup) {
  Resources r;
  r.memory = Memory{.limit = 64 << 20};
  r.pidsLimit = 10;
  auto m = create(r);
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  GatedChild child([] {
    ::pause();
    return 0;
  });
  ASSERT_TRUE(m->addProcess(child.pid()));
  child.release();
  Resources bigger;
  bigger.memory = Memory{.limit = 256 << 20, .swap = 512 << 20};
  bigger.pidsLimit = 20;
  bigger.cpu = Cpu{.shares = 256};
  auto updated = m->update(bigger);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(testing::readText(dir(*m, "memory") + "/memory.limit_in_bytes"), "268435456");
  EXPECT_EQ(testing::readText(dir(*m, "memory") + "/memory.memsw.limit_in_bytes"), "536870912");
  EXPECT_EQ(testing::readText(dir(*m, "pids") + "/pids.max"), "20");
  EXPECT_EQ(testing::readText(dir(*m, "cpu") + "/cpu.shares"), "256");
  Resources smaller;
  smaller.memory = Memory{.limit = 16 << 20};
  updated = m->update(smaller);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(testing::readText(dir(*m, "memory") + "/memory.limit_in_bytes"), "16777216");
  EXPECT_EQ(testing::readText(dir(*m, "memory") + "/memory.memsw.limit_in_bytes"), "16777216");
}

TEST_F(V1Driver, DeviceRulesAllowOneNodeAndDenyAnother) {
  Resources r;
  r.devices = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rw"}};
  auto m = create(r);
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  EXPECT_EQ(testing::readText(dir(*m, "devices") + "/devices.list"), "c 1:3 rw");
  GatedChild child([] {
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0) return 10;
    int zero = ::open("/dev/zero", O_RDONLY | O_CLOEXEC);
    if (zero >= 0) return 11;
    return errno == EPERM ? 0 : 12;
  });
  ASSERT_TRUE(m->addProcess(child.pid()));
  child.release();
  int status = child.wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: /dev/null refused, 11: /dev/zero opened, 12: not "
                                       "EPERM";
}

TEST_F(V1Driver, ReopenFromPersistentPath) {
  auto m = create(Resources{});
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  GatedChild child([] {
    ::pause();
    return 0;
  });
  ASSERT_TRUE(m->addProcess(child.pid()));
  child.release();
  auto again = reopen(options_, m->persistentPath());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)->pids()->size(), 1u);
  ASSERT_TRUE((*again)->freeze());
  EXPECT_TRUE(*m->frozen());
  ASSERT_TRUE((*again)->thaw());
}

TEST_F(V1Driver, FailedCreateLeavesNoDirectory) {
  Resources r;
  r.unified = {{"memory.max", "1"}};  // memory is on v1 here: refused
  auto m = open(options_);
  ASSERT_TRUE(m);
  auto created = (*m)->create(r);
  ASSERT_FALSE(created);
  EXPECT_NE(created.error().message.find("the 'memory' controller is on cgroup v1"),
            std::string::npos)
      << created.error().message;
  for (const char* mount : {"memory", "cpu", "pids", "unified"}) {
    std::string d = dir(**m, mount);
    if (!d.empty()) {
      EXPECT_FALSE(fs::exists(d)) << d;
    }
  }
}

TEST_F(V1Driver, CpusetOfANewGroupIsSeededFromItsParent) {
  Resources r;
  r.cpu = Cpu{.cpus = "0"};
  auto m = create(r);
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  EXPECT_EQ(testing::readText(dir(*m, "cpuset") + "/cpuset.cpus"), "0");
  EXPECT_FALSE(testing::readText(dir(*m, "cpuset") + "/cpuset.mems").empty());
  GatedChild child([] { return 0; });
  EXPECT_TRUE(m->addProcess(child.pid()));  // an unseeded cpuset refuses tasks (ENOSPC)
  child.release();
  child.wait();
}

}  // namespace
}  // namespace spacelet::sandbox::cgroup
