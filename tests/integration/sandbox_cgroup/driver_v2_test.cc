// The cgroup v2 fs driver on a real v2 hierarchy. On a pure v2 kernel (the VM harness) every
// test runs; on a hybrid host the v2 mount has no memory/cpu/pids controllers, so the tests
// of those limits skip there, while freeze, cgroup.kill, CLONE_INTO_CGROUP, the BPF device
// filter and removal run on the hybrid host's v2 mount too.
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "cgroup.h"
#include "cgroup_test_util.h"
#include "device_bpf.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::sandbox::cgroup {
namespace {

using namespace std::chrono_literals;
using testing::CgroupGuard;
using testing::GatedChild;
namespace fs = std::filesystem;

// Plays "the caller's own cgroup" with a fresh sibling of the test's own cgroup (a leaf that
// holds this process, where cgroup v2 would refuse to enable controllers for children), so
// the driver enables controllers there and never in the host's root cgroup.
class V2Driver : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = testing::skipUnlessMode(Mode::kUnified); !why.empty()) GTEST_SKIP() << why;
    mount_ = *testing::unifiedMount();
    own_ = testing::siblingCgroup(testing::uniqueId("own"));
    ASSERT_EQ(::mkdir((mount_ + own_).c_str(), 0755), 0) << std::strerror(errno);
    std::ofstream(tmp_ / "cgroup") << "0::" << own_ << "\n";
    options_.root = mount_;
    options_.procSelfCgroup = tmp_ / "cgroup";
    options_.containerId = testing::uniqueId("v2");
  }
  void TearDown() override {
    if (own_.empty()) return;
    for (const char* sub : {"/spacelet", ""}) ::rmdir((mount_ + own_ + sub).c_str());
  }

  // Skips unless the v2 root offers every controller in `names`.
  std::string missing(std::initializer_list<const char*> names) {
    for (const char* name : names) {
      if (!testing::v2ControllerAvailable(mount_, name)) {
        return std::string("the '") + name + "' controller is not on cgroup v2 here (hybrid " +
               "host); this runs in the VM harness";
      }
    }
    return "";
  }

  std::unique_ptr<Manager> create(const Resources& resources) {
    auto m = open(options_);
    EXPECT_TRUE(m) << m.error().message;
    if (!m) return nullptr;
    EXPECT_EQ((*m)->mode(), Mode::kUnified);
    auto created = (*m)->create(resources);
    EXPECT_TRUE(created) << created.error().message;
    return created ? std::move(*m) : nullptr;
  }
  std::string dir(const Manager& m) { return testing::cgroupDir(m, mount_, "."); }

  spacelet::testing::TempDir tmp_;
  std::string mount_, own_;
  Options options_;
};

int parkForever() {
  for (;;) ::pause();
}

TEST_F(V2Driver, CreatesBelowTheCallersCgroupAndRemovesEverything) {
  auto m = create(Resources{});
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  EXPECT_EQ(dir(*m), mount_ + own_ + "/spacelet/" + options_.containerId);
  EXPECT_TRUE(fs::is_directory(dir(*m)));
  GatedChild child(parkForever);
  ASSERT_TRUE(m->addProcess(child.pid()));
  EXPECT_EQ(*m->pids(), std::vector<pid_t>{child.pid()});
  ASSERT_TRUE(m->killAll(SIGKILL));  // cgroup.kill
  EXPECT_TRUE(WIFSIGNALED(child.wait()));
  auto destroyed = m->destroy();
  ASSERT_TRUE(destroyed) << destroyed.error().message;
  EXPECT_FALSE(fs::exists(mount_ + own_ + "/spacelet"));  // emptied parents are pruned too
  EXPECT_TRUE(fs::exists(mount_ + own_));                 // but never the caller's own
}

TEST_F(V2Driver, KillAllReachesForkedDescendants) {
  auto m = create(Resources{});
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  GatedChild child([] {
    for (int i = 0; i < 3; ++i) {
      if (::fork() == 0) parkForever();
    }
    return parkForever();
  });
  ASSERT_TRUE(m->addProcess(child.pid()));
  child.release();
  for (int i = 0; i < 100 && m->pids()->size() < 4; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(m->pids()->size(), 4u);
  ASSERT_TRUE(m->killAll(SIGKILL));
  EXPECT_TRUE(WIFSIGNALED(child.wait()));
  for (int i = 0; i < 100 && !m->pids()->empty(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(m->pids()->empty());
  EXPECT_TRUE(m->destroy());
  EXPECT_FALSE(fs::exists(dir(*m)));
}

TEST_F(V2Driver, FreezeAndThawReallyStopAndResume) {
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
  EXPECT_NE(testing::readText(dir(*m) + "/cgroup.events").find("frozen 1"), std::string::npos);
  uint64_t stopped = *counter;
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(*counter, stopped);
  ASSERT_TRUE(m->thaw());
  std::this_thread::sleep_for(100ms);
  EXPECT_GT(*counter, stopped);
  ::munmap(shared, 4096);
}

TEST_F(V2Driver, CloneIntoCgroupStartsTheChildInside) {
  auto m = create(Resources{});
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  auto fd = m->cgroupDirFd();
  ASSERT_TRUE(fd) << fd.error().message;
  struct clone_args args {};
  args.flags = CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<uint64_t>(fd->get());
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) parkForever();
  ASSERT_GT(pid, 0) << std::strerror(errno);
  EXPECT_EQ(*m->pids(), std::vector<pid_t>{pid_t(pid)});
  ASSERT_TRUE(m->killAll(SIGKILL));
  ::waitpid(pid_t(pid), nullptr, 0);
}

TEST_F(V2Driver, DeviceFilterAllowsOneNodeDeniesAnotherAndIsReplacedOnUpdate) {
  Resources r;
  r.devices = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rw"}};
  auto m = create(r);
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  auto probe = [&] {
    GatedChild child([] {
      int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
      int zero = ::open("/dev/zero", O_RDONLY | O_CLOEXEC);
      int zeroErr = errno;
      return (null >= 0 ? 1 : 0) | (zero >= 0 ? 2 : (zeroErr == EPERM ? 4 : 0));
    });
    EXPECT_TRUE(m->addProcess(child.pid()));
    child.release();
    int status = child.wait();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  EXPECT_EQ(probe(), 1 | 4) << "/dev/null opens, /dev/zero fails with EPERM";
  Resources wider;
  wider.devices = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, -1, "rw"}};
  ASSERT_TRUE(m->update(wider));
  EXPECT_EQ(probe(), 1 | 2) << "after update both open";
  auto dirFd = m->cgroupDirFd();
  ASSERT_TRUE(dirFd);
  auto programs = spaceletDevicePrograms(dirFd->get());
  ASSERT_TRUE(programs) << programs.error().message;
  EXPECT_EQ(programs->size(), 1u) << "the old program was replaced, not stacked";
}

TEST_F(V2Driver, FailedCreateLeavesNoDirectory) {
  Resources r;
  r.unified = {{"../../escape", "1"}};
  auto m = open(options_);
  ASSERT_TRUE(m);
  auto created = (*m)->create(r);
  ASSERT_FALSE(created);
  EXPECT_NE(created.error().message.find("not a cgroup file name"), std::string::npos)
      << created.error().message;
  EXPECT_FALSE(fs::exists(dir(**m)));
  EXPECT_FALSE(fs::exists(mount_ + own_ + "/spacelet"));
}

TEST_F(V2Driver, MemoryLimitOomKillsAndIsCounted) {
  if (auto why = missing({"memory"}); !why.empty()) GTEST_SKIP() << why;
  Resources r;
  r.memory = Memory{.limit = 32 << 20};
  auto m = create(r);
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  EXPECT_EQ(testing::readText(dir(*m) + "/memory.max"), "33554432");
  if (fs::exists(dir(*m) + "/memory.swap.max")) {
    EXPECT_EQ(testing::readText(dir(*m) + "/memory.swap.max"), "0");
  }
  GatedChild child([] { return testing::hogMemory(256); });
  ASSERT_TRUE(m->addProcess(child.pid()));
  child.release();
  int status = child.wait();
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  auto stats = m->stats();
  ASSERT_TRUE(stats);
  EXPECT_GE(stats->oomKills, 1u);
  EXPECT_NE(testing::readText(dir(*m) + "/memory.events").find("oom_kill 1"), std::string::npos);
}

TEST_F(V2Driver, PidsLimitMakesForkFailWithEagain) {
  if (auto why = missing({"pids"}); !why.empty()) GTEST_SKIP() << why;
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
      if (pid == 0) parkForever();
      if (pid < 0) {
        err = errno;
        break;
      }
    }
    int out[2] = {forked, err};
    (void)!::write(report[1], out, sizeof out);
    return parkForever();
  });
  ::close(report[1]);
  ASSERT_TRUE(m->addProcess(child.pid()));
  child.release();
  int result[2] = {-1, -1};
  ASSERT_EQ(::read(report[0], result, sizeof result), ssize_t(sizeof result));
  ::close(report[0]);
  EXPECT_EQ(result[1], EAGAIN);
  EXPECT_EQ(result[0], 4);
  ASSERT_TRUE(m->killAll(SIGKILL));
  EXPECT_TRUE(WIFSIGNALED(child.wait()));
}

TEST_F(V2Driver, CpuQuotaGivesHalfACpuAndWeightFollowsShares) {
  if (auto why = missing({"cpu"}); !why.empty()) GTEST_SKIP() << why;
  Resources r;
  r.cpu.emplace();  // (a designated initializer here trips g++ 12's -Wmaybe-uninitialized)
  r.cpu->shares = 2048;
  r.cpu->quota = 50000;
  r.cpu->period = 100000;
  auto m = create(r);
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  EXPECT_EQ(testing::readText(dir(*m) + "/cpu.max"), "50000 100000");
  EXPECT_EQ(testing::readText(dir(*m) + "/cpu.weight"), "174");
  GatedChild child([] {
    for (;;) {
    }
    return 0;
  });
  ASSERT_TRUE(m->addProcess(child.pid()));
  auto before = m->stats();
  auto start = std::chrono::steady_clock::now();
  testing::CpuReference reference;
  child.release();
  std::this_thread::sleep_for(2s);
  auto after = m->stats();
  ASSERT_TRUE(before && after);
  double anchor = reference.stop();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double cpus = double(after->cpuUsageUsec - before->cpuUsageUsec) / 1e6 / wall;
  testing::expectCpuRate(cpus, 0.5, anchor);
}

TEST_F(V2Driver, UpdateChangesLimitsOfARunningGroup) {
  if (auto why = missing({"memory", "pids"}); !why.empty()) GTEST_SKIP() << why;
  Resources r;
  r.memory = Memory{.limit = 64 << 20};
  r.pidsLimit = 10;
  auto m = create(r);
  ASSERT_TRUE(m);
  CgroupGuard guard(m.get());
  GatedChild child(parkForever);
  ASSERT_TRUE(m->addProcess(child.pid()));
  child.release();
  Resources next;
  next.memory = Memory{.limit = 128 << 20, .swap = 192 << 20};
  next.pidsLimit = 20;
  auto updated = m->update(next);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(testing::readText(dir(*m) + "/memory.max"), "134217728");
  if (fs::exists(dir(*m) + "/memory.swap.max")) {
    EXPECT_EQ(testing::readText(dir(*m) + "/memory.swap.max"), "67108864");
  }
  EXPECT_EQ(testing::readText(dir(*m) + "/pids.max"), "20");
}

}  // namespace
}  // namespace spacelet::sandbox::cgroup
