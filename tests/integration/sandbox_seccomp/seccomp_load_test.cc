// load() with real filters compiled from OCI specs: the kernel returns the configured errno,
// kills with SIGSYS, traps, hands out a notify listener, and still runs what is allowed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "filtered_child.h"
#include "test_env.h"

namespace spacelet::sandbox::seccomp {
namespace {

using nlohmann::json;
using testing::errnoOf;
using testing::runFiltered;

CompiledFilter compileJson(const std::string& text) {
  auto spec = parse(json::parse(text), "linux.seccomp");
  EXPECT_TRUE(spec) << spec.error().message;
  if (!spec) return {};
  auto filter = compile(*spec);
  EXPECT_TRUE(filter) << filter.error().message;
  return filter ? std::move(*filter) : CompiledFilter{};
}

class SeccompLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = spacelet::testing::requireRoot(); !why.empty()) GTEST_SKIP() << why;
  }
};

TEST_F(SeccompLoad, RuleErrnoRetIsWhatTheSyscallReturns) {
  auto filter = compileJson(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["mkdirat", "mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]})");
  spacelet::testing::TempDir dir;
  std::string path = dir / "made";
  auto end = runFiltered(filter, [&] { return errnoOf(::mkdir(path.c_str(), 0700)); });
  EXPECT_TRUE(end.exited);
  EXPECT_EQ(end.code, EACCES);
  struct stat st {};
  EXPECT_NE(::stat(path.c_str(), &st), 0) << "the filtered mkdir must not have happened";
  auto control = runFiltered(std::nullopt, [&] { return errnoOf(::mkdir(path.c_str(), 0700)); });
  EXPECT_EQ(control.code, 0) << "without the filter the same mkdir succeeds";
}

TEST_F(SeccompLoad, DefaultErrnoRetAppliesToUnlistedSyscalls) {
  auto filter = compileJson(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
      "syscalls": [{"names": ["getpid", "exit", "exit_group"], "action": "SCMP_ACT_ALLOW"}]})");
  auto end = runFiltered(filter, [] {
    if (::syscall(SYS_getpid) <= 0) return 90;
    return errnoOf(::syscall(SYS_getuid));
  });
  EXPECT_TRUE(end.exited);
  EXPECT_EQ(end.code, ENOSYS);
}

TEST_F(SeccompLoad, KillProcessEndsTheChildWithSigsys) {
  auto filter = compileJson(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["getppid"], "action": "SCMP_ACT_KILL_PROCESS"}]})");
  auto end = runFiltered(filter, [] {
    ::syscall(SYS_getppid);
    return 0;
  });
  EXPECT_FALSE(end.exited);
  EXPECT_EQ(end.signal, SIGSYS);
  auto allowed = runFiltered(filter, [] { return ::syscall(SYS_getpid) > 0 ? 7 : 8; });
  EXPECT_EQ(allowed.code, 7) << "other syscalls still work under the same filter";
}

TEST_F(SeccompLoad, KillThreadOfTheOnlyThreadEndsTheChild) {
  auto filter = compileJson(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["getppid"], "action": "SCMP_ACT_KILL"}]})");
  auto end = runFiltered(filter, [] {
    ::syscall(SYS_getppid);
    return 0;
  });
  EXPECT_FALSE(end.exited);
  EXPECT_EQ(end.signal, SIGSYS);
}

// si_code of a SIGSYS raised by SECCOMP_RET_TRAP (SYS_SECCOMP in the kernel's siginfo.h).
constexpr int kSysSeccomp = 1;

void onSigsys(int, siginfo_t* info, void*) {
  bool fromSeccomp = info->si_code == kSysSeccomp && info->si_syscall == SYS_getppid;
  ::_exit(fromSeccomp ? 42 : 43);
}

TEST_F(SeccompLoad, TrapDeliversSigsysNamingTheSyscall) {
  auto filter = compileJson(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["getppid"], "action": "SCMP_ACT_TRAP"}]})");
  auto end = runFiltered(filter, [] {
    struct sigaction sa {};
    sa.sa_sigaction = onSigsys;
    sa.sa_flags = SA_SIGINFO;
    ::sigaction(SIGSYS, &sa, nullptr);
    ::syscall(SYS_getppid);
    return 0;
  });
  EXPECT_TRUE(end.exited);
  EXPECT_EQ(end.code, 42);
}

TEST_F(SeccompLoad, MaskedEqualConditionSeparatesFlags) {
  // unshare(CLONE_NEWUSER) is refused with EACCES; unshare(CLONE_NEWUTS) is not matched.
  auto filter = compileJson(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["unshare"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [
        {"index": 0, "value": 268435456, "valueTwo": 268435456, "op": "SCMP_CMP_MASKED_EQ"}]}]})");
  auto user = runFiltered(filter, [] { return errnoOf(::unshare(CLONE_NEWUSER)); });
  EXPECT_EQ(user.code, EACCES);
  auto both = runFiltered(filter, [] { return errnoOf(::unshare(CLONE_NEWUSER | CLONE_NEWUTS)); });
  EXPECT_EQ(both.code, EACCES);
  auto uts = runFiltered(filter, [] { return errnoOf(::unshare(CLONE_NEWUTS)); });
  EXPECT_EQ(uts.code, 0);
}

TEST_F(SeccompLoad, LogAndSpecAllowFlagsAreAccepted) {
  auto filter = compileJson(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
      "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_LOG"}]})");
  auto end = runFiltered(filter, [] { return ::syscall(SYS_getppid) > 0 ? 5 : 6; });
  EXPECT_TRUE(end.exited);
  EXPECT_EQ(end.code, 5);
}

TEST_F(SeccompLoad, BadProgramsAreReportedAsNegativeErrno) {
  CompiledFilter empty;
  auto end = runFiltered(std::nullopt, [&] {
    ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    return -load(empty);
  });
  EXPECT_EQ(end.code, EINVAL);
}

// The listener answers the notified getppid with 4242 from the parent side of a fork made
// after the filter was loaded; the grandchild checks the answer.
int answerOneNotification(int listener) {
  pid_t child = ::fork();
  if (child == 0) ::_exit(::syscall(SYS_getppid) == 4242 ? 0 : 1);
  struct seccomp_notif request;
  std::memset(&request, 0, sizeof request);
  if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &request) != 0) return 50;
  if (request.data.nr != SYS_getppid) return 51;
  struct seccomp_notif_resp response;
  std::memset(&response, 0, sizeof response);
  response.id = request.id;
  response.val = 4242;
  if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response) != 0) return 52;
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 53;
}

TEST_F(SeccompLoad, NotifyReturnsAListenerThatAnswersTheSyscall) {
  auto filter = compileJson(R"({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/unused",
      "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}]})");
  ASSERT_TRUE(filter.usesNotify);
  auto end = runFiltered(std::nullopt, [&] {
    ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    int listener = load(filter);
    if (listener <= 0) return 60;
    if ((::fcntl(listener, F_GETFD) & FD_CLOEXEC) == 0) return 61;
    return answerOneNotification(listener);
  });
  EXPECT_TRUE(end.exited);
  EXPECT_EQ(end.code, 0);
}

}  // namespace
}  // namespace spacelet::sandbox::seccomp
