// The default profile Spaces run under: it is valid OCI, it compiles, and the compiled
// filter answers as Docker's does for a process without capabilities.
#include "sandbox/seccomp/default_profile.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <set>

#include "bpf_interpreter.h"
#include "sandbox/seccomp/seccomp.h"

namespace spacelet::sandbox::seccomp {
namespace {

using testing::Call;

constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;
constexpr uint32_t kEperm = SECCOMP_RET_ERRNO | EPERM;

class DefaultProfile : public ::testing::Test {
 protected:
  void SetUp() override {
    auto spec = parse(defaultProfile(), "linux.seccomp");
    ASSERT_TRUE(spec) << spec.error().message;
    spec_ = *spec;
    auto filter = compile(spec_);
    ASSERT_TRUE(filter) << filter.error().message;
    filter_ = std::move(*filter);
  }
  uint32_t answer(int nr, std::array<uint64_t, 6> args = {}) const {
    return testing::run(filter_.program, Call{nr, seccomp_arch_native(), args});
  }
  std::set<std::string> allowedNames() const {
    std::set<std::string> names;
    for (const auto& rule : spec_.syscalls) {
      if (rule.action == "SCMP_ACT_ALLOW") names.insert(rule.names.begin(), rule.names.end());
    }
    return names;
  }
  Spec spec_;
  CompiledFilter filter_;
};

TEST_F(DefaultProfile, IsAnAllowlistReturningEperm) {
  EXPECT_EQ(spec_.defaultAction, "SCMP_ACT_ERRNO");
  EXPECT_EQ(spec_.defaultErrnoRet, unsigned{EPERM});
  EXPECT_EQ(filter_.flags, 0u);
  EXPECT_FALSE(filter_.usesNotify);
  EXPECT_LE(filter_.program.size(), size_t{BPF_MAXINSNS});
}

TEST_F(DefaultProfile, OrdinarySyscallsAreAllowed) {
  for (int nr : {SYS_read, SYS_write, SYS_openat, SYS_close, SYS_mmap, SYS_execve, SYS_exit_group,
                 SYS_futex, SYS_getpid, SYS_epoll_wait, SYS_accept4, SYS_connect, SYS_ptrace}) {
    EXPECT_EQ(answer(nr), kAllow) << "syscall " << nr;
  }
}

TEST_F(DefaultProfile, CapabilityGatedSyscallsAreRefused) {
  for (int nr : {SYS_mount,        SYS_umount2,         SYS_unshare,     SYS_setns,
                 SYS_bpf,          SYS_perf_event_open, SYS_chroot,      SYS_pivot_root,
                 SYS_reboot,       SYS_init_module,     SYS_kexec_load,  SYS_keyctl,
                 SYS_add_key,      SYS_syslog,          SYS_sethostname, SYS_open_by_handle_at,
                 SYS_settimeofday, SYS_swapon,          SYS_acct,        SYS_userfaultfd,
                 SYS_fsopen}) {
    EXPECT_EQ(answer(nr), kEperm) << "syscall " << nr;
  }
  for (const char* name : {"mount", "unshare", "setns", "bpf", "chroot", "keyctl", "syslog",
                           "kexec_load", "open_by_handle_at", "io_uring_setup", "clone3"}) {
    EXPECT_EQ(allowedNames().count(name), 0u) << name;
  }
}

TEST_F(DefaultProfile, CloneWithNamespaceFlagsIsRefused) {
  EXPECT_EQ(answer(SYS_clone, {SIGCHLD}), kAllow);
  EXPECT_EQ(answer(SYS_clone,
                   {CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                    CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID}),
            kAllow);
  for (uint64_t flag : {CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                        CLONE_NEWPID, CLONE_NEWNET}) {
    EXPECT_EQ(answer(SYS_clone, {flag | SIGCHLD}), kEperm) << std::hex << flag;
  }
}

TEST_F(DefaultProfile, SyscallsNewerThanTheProfileAnswerEnosys) {
  // statmount (linux 6.8) and mseal (6.10) are newer than anything the profile names.
  EXPECT_EQ(answer(457), SECCOMP_RET_ERRNO | ENOSYS);
  EXPECT_EQ(answer(462), SECCOMP_RET_ERRNO | ENOSYS);
  EXPECT_EQ(answer(SYS_mount), kEperm) << "older syscalls left out keep EPERM";
}

TEST_F(DefaultProfile, Clone3AnswersEnosysSoGlibcFallsBack) {
  EXPECT_EQ(answer(SYS_clone3), SECCOMP_RET_ERRNO | ENOSYS);
}

TEST_F(DefaultProfile, SocketIsAllowedExceptVsock) {
  EXPECT_EQ(answer(SYS_socket, {AF_INET, SOCK_STREAM}), kAllow);
  EXPECT_EQ(answer(SYS_socket, {AF_INET6, SOCK_DGRAM}), kAllow);
  EXPECT_EQ(answer(SYS_socket, {AF_UNIX, SOCK_STREAM}), kAllow);
  EXPECT_EQ(answer(SYS_socket, {AF_VSOCK, SOCK_STREAM}), kEperm);
}

TEST_F(DefaultProfile, PersonalityOnlyForHarmlessValues) {
  for (uint64_t persona : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL}) {
    EXPECT_EQ(answer(SYS_personality, {persona}), kAllow) << std::hex << persona;
  }
  EXPECT_EQ(answer(SYS_personality, {0x0040000 /* ADDR_NO_RANDOMIZE */}), kEperm);
}

TEST_F(DefaultProfile, CompatAbisAreCoveredOnX86_64) {
  if (seccomp_arch_native() != SCMP_ARCH_X86_64) GTEST_SKIP() << "x86_64 build only";
  int socketcall = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, "socketcall");
  int mount32 = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, "mount");
  EXPECT_EQ(testing::run(filter_.program, Call{socketcall, AUDIT_ARCH_I386, {}}), kAllow);
  EXPECT_EQ(testing::run(filter_.program, Call{mount32, AUDIT_ARCH_I386, {}}), kEperm);
  EXPECT_EQ(answer(SYS_arch_prctl), kAllow);
  EXPECT_EQ(testing::run(filter_.program, Call{SYS_getpid, AUDIT_ARCH_AARCH64, {}}),
            SECCOMP_RET_KILL_PROCESS);
}

}  // namespace
}  // namespace spacelet::sandbox::seccomp
