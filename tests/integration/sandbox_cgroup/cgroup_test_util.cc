// Helpers for the cgroup driver tests (see cgroup_test_util.h).
#include "cgroup_test_util.h"

#include <linux/magic.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <pthread.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace spacelet::sandbox::cgroup::testing {

std::optional<std::string> unifiedMount() {
  for (const char* path : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    struct statfs st;
    if (::statfs(path, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC) return std::string(path);
  }
  return std::nullopt;
}

std::string skipUnlessMode(Mode wanted) {
  if (auto why = spacelet::testing::requireRoot(); !why.empty()) return why;
  auto v2 = unifiedMount();
  bool pure = v2 && *v2 == "/sys/fs/cgroup";
  if (wanted == Mode::kUnified && !v2) return "no cgroup v2 mount on this host";
  if (wanted != Mode::kUnified && pure) {
    return "this host is pure cgroup v2; the v1/hybrid driver is tested on hybrid hosts";
  }
  return "";
}

bool v2ControllerAvailable(const std::string& mount, const std::string& controller) {
  std::istringstream in(readText(mount + "/cgroup.controllers"));
  std::string name;
  while (in >> name) {
    if (name == controller) return true;
  }
  return false;
}

GatedChild::GatedChild(std::function<int()> body) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;
  pid_ = ::fork();
  if (pid_ == 0) {
    ::close(fds[1]);
    char c;
    while (::read(fds[0], &c, 1) < 0 && errno == EINTR) {
    }
    ::_exit(body());
  }
  ::close(fds[0]);
  gate_ = fds[1];
}

GatedChild::~GatedChild() {
  if (gate_ >= 0) ::close(gate_);
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void GatedChild::release() {
  if (gate_ < 0) return;
  (void)!::write(gate_, "g", 1);
  ::close(gate_);
  gate_ = -1;
}

int GatedChild::wait() {
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  return status;
}

std::string siblingCgroup(const std::string& name) {
  std::istringstream in(readText("/proc/self/cgroup"));
  std::string line, own = "/";
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) == 0) own = line.substr(3);
  }
  std::string parent = own.substr(0, own.rfind('/'));
  return parent + "/" + name;
}

std::string uniqueId(const std::string& stem) {
  static std::atomic<int> counter{0};
  return "sltest-" + stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

CgroupGuard::~CgroupGuard() {
  if (!manager_) return;
  (void)manager_->killAll(SIGKILL);
  for (int i = 0; i < 100; ++i) {
    auto left = manager_->pids();
    if (!left || left->empty()) break;
    ::usleep(10000);
  }
  (void)manager_->destroy();
}

std::string cgroupDir(const Manager& manager, const std::string& root, const std::string& mount) {
  auto saved = nlohmann::json::parse(manager.persistentPath());
  if (saved.at("driver") != "fs1") return root + saved.at("path").get<std::string>();
  for (const auto& d : saved.at("dirs")) {
    if (d.at("mount") == mount) return root + "/" + mount + d.at("path").get<std::string>();
  }
  return "";
}

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

struct CpuReference::State {
  std::atomic<bool> stop{false};
  std::atomic<double> cpuSeconds{0};
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::thread spinner;
};

CpuReference::CpuReference() : state_(std::make_unique<State>()) {
  state_->spinner = std::thread([s = state_.get()] {
    while (!s->stop.load(std::memory_order_relaxed)) {
    }
    struct timespec ts;
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    s->cpuSeconds = ts.tv_sec + ts.tv_nsec / 1e9;
  });
}

CpuReference::~CpuReference() {
  if (state_->spinner.joinable()) stop();
}

double CpuReference::stop() {
  state_->stop = true;
  state_->spinner.join();
  double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - state_->start).count();
  return state_->cpuSeconds / wall;
}

void expectCpuRate(double used, double cap, double reference) {
  ::testing::Test::RecordProperty("cpus_used", std::to_string(used));
  ::testing::Test::RecordProperty("cpus_reference", std::to_string(reference));
  double expected = std::min(cap, reference);
  EXPECT_NEAR(used, expected, 0.1) << "a busy loop capped at " << cap << " CPU used " << used
                                   << " while an uncapped reference thread got " << reference;
  EXPECT_LE(used, cap + 0.1) << "the cap was exceeded";
}

int hogMemory(int mib) {
  for (int i = 0; i < mib; ++i) {
    void* p = ::mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 2;
    std::memset(p, 0x5a, 1 << 20);
  }
  return 0;
}

}  // namespace spacelet::sandbox::cgroup::testing
