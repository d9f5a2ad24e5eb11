// The protections runtimes learned the hard way, each tried from the attacker's side:
// CVE-2019-5736 (overwriting the runtime through /proc/<pid>/exe), CVE-2024-21626 (leaked fds
// and a cwd outside the container), and symlinks in the rootfs redirecting mounts or mkdirs
// to the host (CVE-2021-30465 class).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "runtime_fixture.h"

extern char** environ;

namespace spacelet::sandbox::testing {
namespace {

namespace fs = std::filesystem;
using SecurityTest = RuntimeTest;

TEST_F(SecurityTest, RuntimeBinaryCannotBeReopenedForWriting) {
  config_["process"]["args"] = {"/bin/sleep", "1000"};
  writeConfig();
  std::string id = newId();
  ASSERT_EQ(detached({"create", "--bundle", bundle_.path(), id}).status, 0);
  pid_t pid = initPid(id);
  // Until start, the init runs the runtime's code: what /proc/<pid>/exe names is what a
  // container could get hold of. Grab it the way an attacker would (O_PATH)...
  std::string exe = "/proc/" + std::to_string(pid) + "/exe";
  int handle = ::open(exe.c_str(), O_PATH | O_CLOEXEC);
  ASSERT_GE(handle, 0);
  // ...then, once nothing runs the binary any more, try to reopen it for writing.
  ASSERT_EQ(runtime({"start", id}).status, 0);
  std::string viaHandle = "/proc/self/fd/" + std::to_string(handle);
  int fd = ::open(viaHandle.c_str(), O_WRONLY | O_CLOEXEC);
  int err = errno;
  if (fd >= 0) ::close(fd);
  ::close(handle);
  EXPECT_LT(fd, 0) << "the runtime binary was writable through /proc/<pid>/exe";
  EXPECT_TRUE(err == EROFS || err == EPERM) << std::strerror(err);
}

// Runs `spacelet-run run` with extra fds open in it: fd 3 and 4 (a directory), and fd 20.
t::CommandResult runWithOpenFds(const std::vector<std::string>& runArgs, const std::string& dir) {
  std::string out = dir + "/fds-output";
  std::vector<std::string> argv = {t::runtimePath(), "--root", dir, "run"};
  argv.insert(argv.end(), runArgs.begin(), runArgs.end());
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  for (int fd : {3, 4, 20}) {
    posix_spawn_file_actions_addopen(&actions, fd, "/", O_RDONLY | O_DIRECTORY, 0);
  }
  pid_t pid = -1;
  t::CommandResult result;
  if (::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) == 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  std::ifstream in(out);
  result.output.assign(std::istreambuf_iterator<char>(in), {});
  return result;
}

std::vector<int> fdNumbers(const Json& report) {
  std::vector<int> fds;
  for (const auto& f : report["fds"]) fds.push_back(f["fd"]);
  return fds;
}

TEST_F(SecurityTest, OnlyStdioAndPreservedFdsReachTheContainer) {
  config_["process"]["args"] = {"/bin/spacelet-probe", "report"};
  writeConfig();
  auto plain = runWithOpenFds({"--bundle", bundle_.path(), newId()}, state_.path());
  ASSERT_EQ(plain.status, 0) << plain.output;
  EXPECT_EQ(fdNumbers(lastJsonLine(plain.output)), (std::vector<int>{0, 1, 2}));
  auto preserved =
      runWithOpenFds({"--preserve-fds", "2", "--bundle", bundle_.path(), newId()}, state_.path());
  ASSERT_EQ(preserved.status, 0) << preserved.output;
  EXPECT_EQ(fdNumbers(lastJsonLine(preserved.output)), (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST_F(SecurityTest, CwdThroughAMagicLinkIsRefused) {
  config_["process"]["cwd"] = "/proc/self/fd/3";
  auto r = runContainer({"/bin/spacelet-probe", "report"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("process.cwd"), std::string::npos) << r.output;
  // A symlink cwd resolves inside the container's root, wherever it points.
  fs::create_directories(bundle_ / "rootfs/inside");
  fs::create_symlink("/../../../../../inside", bundle_ / "rootfs/leading-out");
  config_["process"]["cwd"] = "/leading-out";
  EXPECT_EQ(probe({"report"})["cwd"], "/inside");
}

TEST_F(SecurityTest, SymlinksInTheRootfsCannotRedirectMounts) {
  std::string outside = "/tmp/spacelet-escape-" + std::to_string(::getpid());
  ASSERT_FALSE(fs::exists(outside));
  fs::create_symlink(outside, bundle_ / "rootfs/evil");                             // absolute
  fs::create_symlink("../../../../.." + outside + "-2", bundle_ / "rootfs/evil2");  // relative
  config_["mounts"].push_back({{"destination", "/evil/sub"},
                               {"type", "tmpfs"},
                               {"source", "tmpfs"},
                               {"options", {"size=1m"}}});
  config_["mounts"].push_back({{"destination", "/evil2"},
                               {"type", "tmpfs"},
                               {"source", "tmpfs"},
                               {"options", {"size=1m"}}});
  Json r = probe({"report"});
  EXPECT_FALSE(fs::exists(outside)) << "a directory was created outside the rootfs";
  EXPECT_FALSE(fs::exists(outside + "-2")) << "a directory was created outside the rootfs";
  EXPECT_TRUE(fs::exists(bundle_ / ("rootfs" + outside + "/sub"))) << "created inside instead";
  EXPECT_FALSE(findMount(r, outside + "/sub").is_null()) << r["mounts"];
  EXPECT_FALSE(findMount(r, outside + "-2").is_null()) << r["mounts"];
}

}  // namespace
}  // namespace spacelet::sandbox::testing
