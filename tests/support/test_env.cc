// Implementation of the shared test helpers (see test_env.h).
#include "test_env.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace spacelet::testing {
namespace fs = std::filesystem;

std::string binaryDir() {
  const char* env = ::getenv("SPACELET_BINARY_DIR");
  return env && *env ? env : SPACELET_BINARY_DIR;
}
std::string sourceDir() {
  const char* env = ::getenv("SPACELET_SOURCE_DIR");
  return env && *env ? env : SPACELET_SOURCE_DIR;
}
std::string runtimePath() {
  return binaryDir() + "/sandbox/spacelet-run";
}
std::string probePath() {
  return binaryDir() + "/tests/probe/spacelet-probe";
}

TempDir::TempDir(const std::string& prefix) {
  const char* tmp = ::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp " + tmpl);
  path_ = buf.data();
}

TempDir::~TempDir() {
  // Unmount anything a test left mounted below the directory, deepest first.
  std::ifstream mounts("/proc/self/mountinfo");
  std::vector<std::string> below;
  std::string line;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mountPoint;
    fields >> id >> parent >> devno >> root >> mountPoint;
    if (mountPoint.rfind(path_ + "/", 0) == 0 || mountPoint == path_) below.push_back(mountPoint);
  }
  for (auto it = below.rbegin(); it != below.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string requireRoot() {
  if (::geteuid() != 0)
    return "needs root (run the integration tests as root, or in the VM harness)";
  return "";
}

std::optional<std::string> v2ContainerParent() {
  struct statfs st;
  if (::statfs("/sys/fs/cgroup", &st) != 0 || st.f_type != CGROUP2_SUPER_MAGIC) return std::nullopt;
  std::ifstream in("/proc/self/cgroup");
  std::string line, own = "/";
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) == 0) own = line.substr(3);
  }
  return own.substr(0, own.rfind('/'));
}

std::string makeBusyboxRootfs(const std::string& rootfs) {
  std::error_code ec;
  for (const char* dir :
       {"bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "home/user", "root", "usr/bin", "var"}) {
    fs::create_directories(rootfs + "/" + dir, ec);
    if (ec) return "create " + rootfs + "/" + dir + ": " + ec.message();
  }
  fs::permissions(rootfs + "/tmp", fs::perms::all | fs::perms::sticky_bit, ec);
  fs::copy_file("/bin/busybox", rootfs + "/bin/busybox", fs::copy_options::overwrite_existing, ec);
  if (ec) return "copy /bin/busybox (install busybox-static): " + ec.message();
  fs::copy_file(probePath(), rootfs + "/bin/spacelet-probe", fs::copy_options::overwrite_existing,
                ec);
  if (ec) return "copy " + probePath() + " (build the probe first): " + ec.message();
  CommandResult applets = runCommand({"/bin/busybox", "--list"});
  if (applets.status != 0) return "busybox --list failed: " + applets.output;
  std::istringstream names(applets.output);
  std::string name;
  while (std::getline(names, name)) {
    if (name.empty() || name == "busybox") continue;
    fs::create_symlink("busybox", rootfs + "/bin/" + name, ec);
    ec.clear();  // an applet that already exists is fine
  }
  std::ofstream(rootfs + "/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n"
                                        << "user:x:1000:1000:user:/home/user:/bin/sh\n";
  std::ofstream(rootfs + "/etc/group") << "root:x:0:\nuser:x:1000:\n";
  ::chown((rootfs + "/home/user").c_str(), 1000, 1000);
  return "";
}

CommandResult runCommand(const std::vector<std::string>& argv, const std::string& stdinData) {
  CommandResult result;
  int out[2], in[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(in, O_CLOEXEC) != 0) return result;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(in[0]);
  if (rc != 0) {
    ::close(out[0]);
    ::close(in[1]);
    result.output = "spawn " + argv[0] + ": " + std::strerror(rc);
    return result;
  }
  if (!stdinData.empty()) (void)!::write(in[1], stdinData.data(), stdinData.size());
  ::close(in[1]);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) result.output.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace spacelet::testing
