// podman drives spacelet-run for real (conmon, --console-socket for -t, exec with
// --process, kill, delete): an imported busybox image runs, its exit code comes back, and
// exec, stop and rm work. podman uses a private --root/--runroot, and its cgroup parent is
// a directory below the test's own cgroup that the test removes afterwards.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime_fixture.h"

namespace spacelet::sandbox::testing {
namespace {

namespace fs = std::filesystem;

// The test's own cgroup path as an absolute cgroup parent: the memory hierarchy's on a v1
// or hybrid host (the one that is not "/" here), the unified one otherwise.
std::string ownCgroup() {
  std::ifstream in("/proc/self/cgroup");
  std::string line, unified, memory;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) == 0) unified = line.substr(3);
    auto pos = line.find(":memory:");
    if (pos != std::string::npos) memory = line.substr(pos + 8);
  }
  std::string own = memory.empty() ? unified : memory;
  return own == "/" ? "" : own;
}

class PodmanTest : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    if (IsSkipped()) return;
    if (t::runCommand({"podman", "--version"}).status != 0) {
      GTEST_SKIP() << "podman is not installed (packaging/build-deps.sh installs it on a "
                      "host, where this test runs; the VM harness's image has no podman)";
    }
    parent_ = ownCgroup() + "/spacelet-podman-" + std::to_string(::getpid());
    rememberMissingCgroupDirs();
    ASSERT_EQ(
        t::runCommand({"tar", "-C", bundle_ / "rootfs", "-cf", work_ / "rootfs.tar", "."}).status,
        0);
    auto imported = podman({"import", work_ / "rootfs.tar", kImage});
    ASSERT_EQ(imported.status, 0) << imported.output;
  }

  void TearDown() override {
    if (!parent_.empty()) {
      podman({"rm", "--force", "--all"});
      podman({"rmi", "--force", "--all"});
      removeCreatedCgroupDirs();
    }
    RuntimeTest::TearDown();
  }

  t::CommandResult podman(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {
        "podman",          "--root",           work_ / "root", "--runroot",
        work_ / "runroot", "--storage-driver", "vfs",          "--cgroup-manager",
        "cgroupfs",        "--events-backend", "file",         "--runtime",
        t::runtimePath()};
    argv.insert(argv.end(), args.begin(), args.end());
    return t::runCommand(argv);
  }

  // Options for `podman run`: no network stack, limits this host's root may set (it lacks
  // CAP_SYS_RESOURCE, so podman's default of 1048576 open files would be refused), and the
  // cgroup parent below our own cgroup.
  std::vector<std::string> runOptions() {
    return {"--network",        "none",     "--ulimit",
            "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
            "--cgroup-parent",  parent_};
  }

  std::vector<std::string> runArgs(std::vector<std::string> extra, std::vector<std::string> cmd) {
    std::vector<std::string> args = {"run"};
    auto options = runOptions();
    args.insert(args.end(), options.begin(), options.end());
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(kImage);
    args.insert(args.end(), cmd.begin(), cmd.end());
    return args;
  }

  // Which of the parent's directories do not exist yet, per hierarchy (to remove later).
  void rememberMissingCgroupDirs() {
    for (const auto& hierarchy : fs::directory_iterator("/sys/fs/cgroup")) {
      std::string dir = hierarchy.path();
      std::string path;
      std::istringstream parts(parent_);
      for (std::string part; std::getline(parts, part, '/');) {
        if (part.empty()) continue;
        path += "/" + part;
        if (!fs::exists(dir + path)) created_.push_back(dir + path);
      }
    }
  }

  // Removes, deepest first, what podman and the runtime left below the parent.
  void removeCreatedCgroupDirs() {
    std::vector<std::string> all;
    for (const auto& top : created_) {
      std::error_code ec;
      if (!fs::exists(top, ec)) continue;
      for (auto it = fs::recursive_directory_iterator(top, ec);
           it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory(ec)) all.push_back(it->path());
      }
      all.push_back(top);
    }
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a.size() > b.size(); });
    for (const auto& dir : all) ::rmdir(dir.c_str());
  }

  static constexpr const char* kImage = "localhost/spacelet-busybox-test";
  t::TempDir work_{"spacelet-podman"};
  std::string parent_;
  std::vector<std::string> created_;
};

TEST_F(PodmanTest, RunReturnsTheExitCode) {
  auto exit7 = podman(runArgs({"--rm"}, {"/bin/spacelet-probe", "exit", "7"}));
  EXPECT_EQ(exit7.status, 7) << exit7.output;
  auto report = podman(runArgs({"--rm"}, {"/bin/spacelet-probe", "report"}));
  ASSERT_EQ(report.status, 0) << report.output;
  Json r = lastJsonLine(report.output);
  EXPECT_EQ(r["pid"], 1);
  EXPECT_NE(r["cgroup"].get<std::string>().find(parent_), std::string::npos) << r["cgroup"];
}

TEST_F(PodmanTest, ExecStopRm) {
  auto started = podman(runArgs({"-d", "--name", "sleeper"}, {"/bin/sleep", "1000"}));
  ASSERT_EQ(started.status, 0) << started.output;
  auto exec = podman({"exec", "sleeper", "/bin/spacelet-probe", "report"});
  ASSERT_EQ(exec.status, 0) << exec.output;
  EXPECT_EQ(lastJsonLine(exec.output)["tty"], false);
  EXPECT_EQ(podman({"exec", "sleeper", "sh", "-c", "exit 5"}).status, 5);
  auto tty = podman({"exec", "-t", "sleeper", "tty"});
  EXPECT_EQ(tty.status, 0) << tty.output;
  EXPECT_NE(tty.output.find("/dev/pts/"), std::string::npos) << tty.output;
  auto ps = podman({"ps", "--format", "{{.Names}} {{.Status}}"});
  EXPECT_NE(ps.output.find("sleeper Up"), std::string::npos) << ps.output;
  auto stopped = podman({"stop", "-t", "1", "sleeper"});
  EXPECT_EQ(stopped.status, 0) << stopped.output;
  auto inspect = podman({"inspect", "--format", "{{.State.Status}}", "sleeper"});
  EXPECT_NE(inspect.output.find("exited"), std::string::npos) << inspect.output;
  auto removed = podman({"rm", "sleeper"});
  EXPECT_EQ(removed.status, 0) << removed.output;
  EXPECT_EQ(podman({"ps", "-a", "-q"}).output, "");
}

}  // namespace
}  // namespace spacelet::sandbox::testing
