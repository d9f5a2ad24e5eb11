// Checks that the kernel the privileged suite runs on has what the suite relies on: cgroup v2
// with the memory/cpu/pids/cpuset/io controllers delegated and enforcing limits, veth and
// nftables (with the expressions netpolicy uses) in a fresh netns, and overlayfs. On this
// project's hybrid-cgroup hosts the cgroup checks skip; the VM harness runs them for real.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "test_env.h"

namespace spacelet::testing {
namespace {

constexpr long kCgroup2SuperMagic = 0x63677270;
const std::string kCgroupRoot = "/sys/fs/cgroup";

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Why the cgroup v2 checks cannot run here, or "" when /sys/fs/cgroup is cgroup2.
std::string requireCgroup2() {
  if (auto why = requireRoot(); !why.empty()) return why;
  struct statfs fs {};
  if (::statfs(kCgroupRoot.c_str(), &fs) != 0 || fs.f_type != kCgroup2SuperMagic)
    return "/sys/fs/cgroup is not cgroup v2 on this host (hybrid or legacy); the VM harness "
           "runs this test on a pure cgroup v2 kernel (make test-vm)";
  return "";
}

// The caller's cgroup v2 path ("0::/a/b" in /proc/self/cgroup), e.g. "/a/b".
std::string ownCgroup() {
  std::istringstream lines(readText("/proc/self/cgroup"));
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return "";
}

// A cgroup beside the caller's own (runc's rule for relative paths: the caller's cgroup holds
// processes, so only its parent can enable controllers). Killed and removed on destruction.
class ScratchCgroup {
 public:
  ScratchCgroup() {
    std::filesystem::path own = kCgroupRoot + ownCgroup();
    path_ = (own.parent_path() / ("vm-check-" + std::to_string(::getpid()))).string();
    if (::mkdir(path_.c_str(), 0755) != 0) error_ = "mkdir " + path_ + ": " + std::strerror(errno);
  }
  ~ScratchCgroup() {
    std::ofstream(path_ + "/cgroup.kill") << "1";
    for (int i = 0; i < 100 && ::rmdir(path_.c_str()) != 0 && errno == EBUSY; ++i) ::usleep(20000);
  }
  const std::string& error() const { return error_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  bool write(const std::string& name, const std::string& value) const {
    std::ofstream out(file(name));
    out << value;
    out.flush();
    return static_cast<bool>(out);
  }
  // Runs argv in this cgroup (the child moves itself in before exec, so nothing it does
  // escapes the limits), its stdout to `output`; returns the wait status.
  int run(const std::vector<std::string>& argv, const std::string& output = "/dev/null") const {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::string procs = file("cgroup.procs");
    pid_t pid = ::fork();
    if (pid == 0) {
      int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0 || ::write(fd, "0", 1) != 1) ::_exit(120);
      int out = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (out < 0 || ::dup2(out, 1) < 0) ::_exit(121);
      ::execv(args[0], args.data());
      ::_exit(122);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
  }

 private:
  std::string path_;
  std::string error_;
};

TEST(KernelFeatures, OwnCgroupHasTheControllersSpacesNeed) {
  if (auto why = requireCgroup2(); !why.empty()) GTEST_SKIP() << why;
  std::string controllers = readText(kCgroupRoot + ownCgroup() + "/cgroup.controllers");
  for (const char* c : {"memory", "cpu", "pids", "cpuset", "io"})
    EXPECT_NE(controllers.find(c), std::string::npos)
        << "controller '" << c << "' is not delegated to " << ownCgroup() << " (has: '"
        << controllers << "')";
}

TEST(KernelFeatures, MemoryMaxOomKillsAndCounts) {
  if (auto why = requireCgroup2(); !why.empty()) GTEST_SKIP() << why;
  ScratchCgroup cg;
  ASSERT_EQ(cg.error(), "");
  ASSERT_TRUE(cg.write("memory.max", "64M"));
  ASSERT_TRUE(cg.write("memory.swap.max", "0"));
  int status = cg.run({probePath(), "hog-memory", "256"});
  ASSERT_TRUE(WIFSIGNALED(status)) << "the 256 MiB hog was not killed under a 64 MiB limit";
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_NE(readText(cg.file("memory.events")).find("oom_kill 1"), std::string::npos)
      << readText(cg.file("memory.events"));
}

TEST(KernelFeatures, PidsMaxStopsAForkBomb) {
  if (auto why = requireCgroup2(); !why.empty()) GTEST_SKIP() << why;
  ScratchCgroup cg;
  ASSERT_EQ(cg.error(), "");
  ASSERT_TRUE(cg.write("pids.max", "16"));
  TempDir dir("vm-pids");
  int status = cg.run({probePath(), "fork-bomb", "1000"}, dir / "out.json");
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "probe wait status " << status;
  auto result = nlohmann::json::parse(readText(dir / "out.json"));
  // The probe itself is one of the 16 tasks.
  EXPECT_EQ(result["forked"], 15) << result.dump();
  EXPECT_EQ(result["errno"], EAGAIN) << result.dump();
  EXPECT_EQ(readText(cg.file("pids.events")), "max 1\n");
}

TEST(KernelFeatures, VethAndNftablesInAFreshNetns) {
  if (auto why = requireRoot(); !why.empty()) GTEST_SKIP() << why;
  for (const char* tool : {"ip", "nft", "unshare"})
    if (runCommand({"sh", "-c", std::string("command -v ") + tool}).status != 0)
      GTEST_SKIP() << "'" << tool << "' is not installed (iproute2, nftables, util-linux)";
  // Everything happens in a netns that dies with the command: the host is never touched.
  const std::string script = R"(set -e
ip link add sp-a type veth peer name sp-b
ip link set sp-a up
nft -f - <<'EOF'
table inet spacelet_vmcheck {
  set egress_tcp { type inet_service; elements = { 80, 443, 8080 } }
  chain egress {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    fib daddr type local drop
    limit rate 10/second counter
    tcp dport @egress_tcp ct state new accept
    reject with icmpx type admin-prohibited
  }
  chain post {
    type nat hook postrouting priority 100;
    oifname "sp-a" masquerade
  }
}
EOF
nft list table inet spacelet_vmcheck | grep -q masquerade
)";
  CommandResult r = runCommand({"unshare", "--net", "sh", "-c", script});
  EXPECT_EQ(r.status, 0) << r.output;
}

TEST(KernelFeatures, OverlayMountsInAPrivateMountNamespace) {
  if (auto why = requireRoot(); !why.empty()) GTEST_SKIP() << why;
  TempDir dir("vm-overlay");
  std::string d = dir.path();
  std::string script = "set -e; cd " + d +
                       "; mkdir lower upper work merged; echo hi > lower/f;"
                       " mount -t overlay overlay -o lowerdir=lower,upperdir=upper,workdir=work "
                       "merged; echo there >> merged/f; grep -q there upper/f";
  CommandResult r =
      runCommand({"unshare", "--mount", "--propagation", "private", "sh", "-c", script});
  EXPECT_EQ(r.status, 0) << r.output;
}

}  // namespace
}  // namespace spacelet::testing
