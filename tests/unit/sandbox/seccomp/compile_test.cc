// compile(): specs compiled with libseccomp, then run through a BPF interpreter to check what
// the filter answers for given syscalls, arguments and architectures (no kernel involved).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <sys/syscall.h>

#include <nlohmann/json.hpp>

#include "bpf_interpreter.h"
#include "sandbox/seccomp/seccomp.h"

namespace spacelet::sandbox::seccomp {
namespace {

using nlohmann::json;
using testing::Call;
using ::testing::HasSubstr;

CompiledFilter compileJson(const json& j) {
  auto spec = parse(j, "linux.seccomp");
  EXPECT_TRUE(spec) << spec.error().message;
  if (!spec) return {};
  auto filter = compile(*spec);
  EXPECT_TRUE(filter) << filter.error().message;
  return filter ? std::move(*filter) : CompiledFilter{};
}

Call native(int nr, std::array<uint64_t, 6> args = {}) {
  return Call{nr, seccomp_arch_native(), args};
}

constexpr uint32_t kErrno = SECCOMP_RET_ERRNO;
constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;

TEST(SeccompCompile, DefaultAndPerRuleErrnoRet) {
  auto filter = compileJson(json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
    "syscalls": [
      {"names": ["getpid", "getppid"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
      {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO"}
    ]})"));
  ASSERT_FALSE(filter.program.empty());
  EXPECT_EQ(testing::run(filter.program, native(SYS_getpid)), kAllow);
  EXPECT_EQ(testing::run(filter.program, native(SYS_getppid)), kAllow);
  EXPECT_EQ(testing::run(filter.program, native(SYS_mkdir)), kErrno | EACCES);
  EXPECT_EQ(testing::run(filter.program, native(SYS_rmdir)), kErrno | EPERM)
      << "errnoRet defaults to EPERM";
  EXPECT_EQ(testing::run(filter.program, native(SYS_getuid)), kErrno | ENOSYS);
  EXPECT_EQ(filter.flags, 0u);
  EXPECT_FALSE(filter.usesNotify);
}

TEST(SeccompCompile, EveryActionMapsToItsKernelReturn) {
  auto filter = compileJson(json::parse(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [
      {"names": ["getpid"], "action": "SCMP_ACT_KILL_PROCESS"},
      {"names": ["getppid"], "action": "SCMP_ACT_KILL_THREAD"},
      {"names": ["getuid"], "action": "SCMP_ACT_KILL"},
      {"names": ["getgid"], "action": "SCMP_ACT_TRAP"},
      {"names": ["geteuid"], "action": "SCMP_ACT_TRACE", "errnoRet": 7},
      {"names": ["getegid"], "action": "SCMP_ACT_LOG"},
      {"names": ["gettid"], "action": "SCMP_ACT_NOTIFY"}
    ], "listenerPath": "/run/agent.sock"})"));
  EXPECT_EQ(testing::run(filter.program, native(SYS_getpid)), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(testing::run(filter.program, native(SYS_getppid)), SECCOMP_RET_KILL_THREAD);
  EXPECT_EQ(testing::run(filter.program, native(SYS_getuid)), SECCOMP_RET_KILL_THREAD);
  EXPECT_EQ(testing::run(filter.program, native(SYS_getgid)), SECCOMP_RET_TRAP);
  EXPECT_EQ(testing::run(filter.program, native(SYS_geteuid)), SECCOMP_RET_TRACE | 7);
  EXPECT_EQ(testing::run(filter.program, native(SYS_getegid)), SECCOMP_RET_LOG);
  EXPECT_EQ(testing::run(filter.program, native(SYS_gettid)), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(testing::run(filter.program, native(SYS_read)), kAllow);
  EXPECT_TRUE(filter.usesNotify);
  EXPECT_EQ(filter.flags, unsigned{SECCOMP_FILTER_FLAG_NEW_LISTENER});
}

TEST(SeccompCompile, MaskedEqualRefusesFlagsInTheMask) {
  auto filter = compileJson(json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [{"names": ["clone"], "action": "SCMP_ACT_ALLOW",
      "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}]})"));
  const uint64_t kThreadFlags = 0x3d0f00;  // CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|...
  EXPECT_EQ(testing::run(filter.program, native(SYS_clone, {kThreadFlags})), kAllow);
  EXPECT_EQ(testing::run(filter.program, native(SYS_clone, {17 /* SIGCHLD */})), kAllow);
  EXPECT_EQ(testing::run(filter.program, native(SYS_clone, {0x10000000 | 17})), kErrno | EPERM)
      << "CLONE_NEWUSER";
  EXPECT_EQ(testing::run(filter.program, native(SYS_clone, {0x40000000})), kErrno | EPERM)
      << "CLONE_NEWNET";
}

TEST(SeccompCompile, ConditionsOnDistinctArgumentsAreAnded) {
  auto filter = compileJson(json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [
      {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"},
      {"index": 1, "value": 3, "op": "SCMP_CMP_LE"}]}]})"));
  EXPECT_EQ(testing::run(filter.program, native(SYS_socket, {2, 1})), kAllow);
  EXPECT_EQ(testing::run(filter.program, native(SYS_socket, {2, 3})), kAllow);
  EXPECT_EQ(testing::run(filter.program, native(SYS_socket, {2, 4})), kErrno | EPERM);
  EXPECT_EQ(testing::run(filter.program, native(SYS_socket, {10, 1})), kErrno | EPERM);
}

TEST(SeccompCompile, ConditionsOnTheSameArgumentAreOred) {
  auto filter = compileJson(json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [
      {"index": 0, "value": 0, "op": "SCMP_CMP_EQ"},
      {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]})"));
  EXPECT_EQ(testing::run(filter.program, native(SYS_personality, {0})), kAllow);
  EXPECT_EQ(testing::run(filter.program, native(SYS_personality, {8})), kAllow);
  EXPECT_EQ(testing::run(filter.program, native(SYS_personality, {0x40000})), kErrno | EPERM);
}

TEST(SeccompCompile, ComparisonOperatorsUseAll64Bits) {
  auto filter = compileJson(json::parse(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 2, "value": 4294967296, "op": "SCMP_CMP_GE"}]},
      {"names": ["write"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_NE"}]},
      {"names": ["lseek"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 10, "op": "SCMP_CMP_LT"}]},
      {"names": ["dup"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 10, "op": "SCMP_CMP_GT"}]}
    ]})"));
  EXPECT_EQ(testing::run(filter.program, native(SYS_read, {0, 0, 0xffffffff})), kAllow);
  EXPECT_EQ(testing::run(filter.program, native(SYS_read, {0, 0, 0x100000000})), kErrno | EPERM);
  EXPECT_EQ(testing::run(filter.program, native(SYS_write, {1})), kAllow);
  EXPECT_EQ(testing::run(filter.program, native(SYS_write, {2})), kErrno | EPERM);
  EXPECT_EQ(testing::run(filter.program, native(SYS_lseek, {0, 9})), kErrno | EPERM);
  EXPECT_EQ(testing::run(filter.program, native(SYS_lseek, {0, 10})), kAllow);
  EXPECT_EQ(testing::run(filter.program, native(SYS_dup, {10})), kAllow);
  EXPECT_EQ(testing::run(filter.program, native(SYS_dup, {11})), kErrno | EPERM);
}

TEST(SeccompCompile, ArchitectureListDecidesWhichAbisPass) {
  const json rules = json::parse(R"([{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}])");
  auto nativeOnly = compileJson({{"defaultAction", "SCMP_ACT_ERRNO"}, {"syscalls", rules}});
  auto withX86 = compileJson({{"defaultAction", "SCMP_ACT_ERRNO"},
                              {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}},
                              {"syscalls", rules}});
  int getpid32 = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, "getpid");
  ASSERT_GT(getpid32, 0);
  Call x86{getpid32, AUDIT_ARCH_I386, {}};
  EXPECT_EQ(testing::run(nativeOnly.program, x86), SECCOMP_RET_KILL_PROCESS)
      << "an architecture the profile does not list kills the process";
  EXPECT_EQ(testing::run(withX86.program, x86), kAllow);
  Call arm{20, AUDIT_ARCH_AARCH64, {}};
  EXPECT_EQ(testing::run(withX86.program, arm), SECCOMP_RET_KILL_PROCESS);
  if (seccomp_arch_native() != SCMP_ARCH_X86_64) GTEST_SKIP() << "x86_64-specific checks follow";
  EXPECT_EQ(testing::run(withX86.program, native(SYS_getpid)), kAllow);
  EXPECT_GT(withX86.program.size(), nativeOnly.program.size());
}

TEST(SeccompCompile, UnknownSyscallNamesAreSkipped) {
  auto filter = compileJson(json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [{"names": ["no_such_syscall", "getpid"], "action": "SCMP_ACT_ALLOW"}]})"));
  EXPECT_EQ(testing::run(filter.program, native(SYS_getpid)), kAllow);
}

TEST(SeccompCompile, RulesRepeatingTheDefaultActionAreDropped) {
  auto filter = compileJson(json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
                 {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 2}]})"));
  EXPECT_EQ(testing::run(filter.program, native(SYS_getpid)), kErrno | EPERM);
  EXPECT_EQ(testing::run(filter.program, native(SYS_getppid)), kErrno | ENOENT);
}

TEST(SeccompCompile, FlagsBecomeSeccompFlags) {
  auto filter = compileJson(json::parse(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"]})"));
  EXPECT_EQ(filter.flags, unsigned{SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW |
                                   SECCOMP_FILTER_FLAG_TSYNC});
  auto notify = compileJson(json::parse(R"({
    "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/s", "flags": ["SECCOMP_FILTER_FLAG_TSYNC"],
    "syscalls": [{"names": ["mknod"], "action": "SCMP_ACT_NOTIFY"}]})"));
  EXPECT_EQ(notify.flags, unsigned{SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_NEW_LISTENER |
                                   SECCOMP_FILTER_FLAG_TSYNC_ESRCH});
}

TEST(SeccompCompile, HandBuiltSpecsAreCheckedToo) {
  Spec spec;
  spec.defaultAction = "SCMP_ACT_ALLOW";
  spec.syscalls.push_back(
      {{"getpid"}, "SCMP_ACT_ERRNO", std::nullopt, {{0, 1, 0, "SCMP_CMP_ALMOST"}}});
  auto filter = compile(spec);
  ASSERT_FALSE(filter);
  EXPECT_THAT(filter.error().message,
              HasSubstr("syscalls[0]: args[0]: unknown operator 'SCMP_CMP_ALMOST'"));
  spec.syscalls.clear();
  spec.defaultAction = "SCMP_ACT_NOPE";
  filter = compile(spec);
  ASSERT_FALSE(filter);
  EXPECT_THAT(filter.error().message, HasSubstr("defaultAction: unknown action 'SCMP_ACT_NOPE'"));
}

TEST(SeccompCompile, SyscallsNewerThanTheProfileAnswerEnosys) {
  auto filter = compileJson(json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [{"names": ["read", "write", "getpid"], "action": "SCMP_ACT_ALLOW"}]})"));
  EXPECT_EQ(testing::run(filter.program, native(SYS_getpid)), kAllow);
  EXPECT_EQ(testing::run(filter.program, native(SYS_close)), kErrno | EPERM)
      << "older than the newest named syscall: left out on purpose, the default answers";
  EXPECT_EQ(testing::run(filter.program, native(SYS_getuid)), kErrno | ENOSYS)
      << "newer than every named syscall: the program may fall back";
  if (seccomp_arch_native() != SCMP_ARCH_X86_64) return;
  Call x32{SYS_getuid | 0x40000000, AUDIT_ARCH_X86_64, {}};
  EXPECT_EQ(testing::run(filter.program, x32), SECCOMP_RET_KILL_PROCESS)
      << "x32 calls are not the native ABI: libseccomp's own checks decide";
}

TEST(SeccompCompile, AllowByDefaultFiltersGetNoEnosysStub) {
  auto filter = compileJson(json::parse(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO"}]})"));
  EXPECT_EQ(testing::run(filter.program, native(SYS_getuid)), kAllow);
}

}  // namespace
}  // namespace spacelet::sandbox::seccomp
