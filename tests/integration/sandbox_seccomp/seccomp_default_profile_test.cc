// The default profile loaded for real: user namespaces and namespace clone flags are refused
// with EPERM, clone3 answers ENOSYS, mount is refused, and ordinary programs (fork, threads,
// a busybox shell) still run. Each refusal has a control run without the filter.
#include "sandbox/seccomp/default_profile.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "filtered_child.h"
#include "test_env.h"

namespace spacelet::sandbox::seccomp {
namespace {

using testing::errnoOf;
using testing::runFiltered;

class DefaultProfileLoaded : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = spacelet::testing::requireRoot(); !why.empty()) GTEST_SKIP() << why;
    auto spec = parse(defaultProfile(), "linux.seccomp");
    ASSERT_TRUE(spec) << spec.error().message;
    auto filter = compile(*spec);
    ASSERT_TRUE(filter) << filter.error().message;
    filter_ = std::move(*filter);
  }
  CompiledFilter filter_;
};

TEST_F(DefaultProfileLoaded, UnshareUserNamespaceIsRefusedWithEperm) {
  auto body = [] { return errnoOf(::unshare(CLONE_NEWUSER)); };
  EXPECT_EQ(runFiltered(std::nullopt, body).code, 0) << "control: allowed without the filter";
  EXPECT_EQ(runFiltered(filter_, body).code, EPERM);
}

TEST_F(DefaultProfileLoaded, CloneWithNamespaceFlagsIsRefusedWithEperm) {
  auto body = [] {
    long pid = ::syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (pid == 0) ::_exit(0);
    int err = errnoOf(pid);
    if (pid > 0) ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
    return err;
  };
  EXPECT_EQ(runFiltered(std::nullopt, body).code, 0) << "control: allowed without the filter";
  EXPECT_EQ(runFiltered(filter_, body).code, EPERM);
}

TEST_F(DefaultProfileLoaded, Clone3AnswersEnosys) {
  auto body = [] { return errnoOf(::syscall(SYS_clone3, nullptr, 0)); };
  EXPECT_EQ(runFiltered(std::nullopt, body).code, EINVAL) << "control: the kernel's own answer";
  EXPECT_EQ(runFiltered(filter_, body).code, ENOSYS);
}

TEST_F(DefaultProfileLoaded, SyscallsNewerThanTheProfileAnswerEnosys) {
  // statmount (457, linux 6.8) with no arguments: the kernel rejects them; under the profile it
  // answers ENOSYS, so a program built for a newer kernel falls back instead of failing.
  // (On a kernel older than 6.8 the control answers ENOSYS too; the filter's answer comes
  // from the stub either way, which the unit tests tell apart.)
  auto body = [] { return errnoOf(::syscall(457, nullptr, nullptr, 0, 0)); };
  int kernel = runFiltered(std::nullopt, body).code;
  EXPECT_NE(kernel, EPERM) << "control: no seccomp refusal without the filter";
  EXPECT_EQ(runFiltered(filter_, body).code, ENOSYS) << "without the filter: " << kernel;
}

TEST_F(DefaultProfileLoaded, MountIsRefusedWithEperm) {
  spacelet::testing::TempDir dir;
  std::string target = dir.path();
  auto body = [target] {
    // A private mount namespace keeps the control run's mount away from the host.
    if (::unshare(CLONE_NEWNS) != 0) return errnoOf(-1);
    return errnoOf(::mount("none", target.c_str(), "tmpfs", 0, nullptr));
  };
  EXPECT_EQ(runFiltered(std::nullopt, body).code, 0) << "control: root may mount";
  auto filtered = [target] {
    return errnoOf(::mount("none", target.c_str(), "tmpfs", 0, nullptr));
  };
  EXPECT_EQ(runFiltered(filter_, filtered).code, EPERM);
}

TEST_F(DefaultProfileLoaded, VsockSocketsAreRefusedOthersWork) {
  auto vsock = [] { return errnoOf(::socket(AF_VSOCK, SOCK_STREAM, 0)); };
  EXPECT_EQ(runFiltered(filter_, vsock).code, EPERM);
  auto unixSocket = [] { return errnoOf(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)); };
  EXPECT_EQ(runFiltered(filter_, unixSocket).code, 0);
}

void* threadBody(void*) {
  return reinterpret_cast<void*>(7);
}

TEST_F(DefaultProfileLoaded, ForkAndThreadsStillWork) {
  auto body = [] {
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(3);
    if (pid < 0) return 100 + errno;
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid || WEXITSTATUS(status) != 3) return 90;
    pthread_t thread;
    if (int err = ::pthread_create(&thread, nullptr, threadBody, nullptr); err != 0)
      return 150 + err;
    void* result = nullptr;
    ::pthread_join(thread, &result);
    return result == reinterpret_cast<void*>(7) ? 0 : 91;
  };
  auto end = runFiltered(filter_, body);
  EXPECT_TRUE(end.exited) << "signal " << end.signal;
  EXPECT_EQ(end.code, 0);
}

TEST_F(DefaultProfileLoaded, BusyboxShellRuns) {
  const char* busybox = "/bin/busybox";
  if (::access(busybox, X_OK) != 0) GTEST_SKIP() << "busybox-static is not installed";
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  auto end = runFiltered(filter_, [&] {
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    ::execl(busybox, "sh", "-c", "echo ok; ls /", static_cast<char*>(nullptr));
    return 127;
  });
  ::close(out[1]);
  std::string output;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) output.append(buf, n);
  ::close(out[0]);
  EXPECT_TRUE(end.exited) << "signal " << end.signal;
  EXPECT_EQ(end.code, 0) << output;
  EXPECT_EQ(output.rfind("ok\n", 0), 0u) << output;
  EXPECT_NE(output.find("proc"), std::string::npos) << "ls / lists the root: " << output;
}

}  // namespace
}  // namespace spacelet::sandbox::seccomp
