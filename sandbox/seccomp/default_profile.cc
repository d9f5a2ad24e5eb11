// Docker's default seccomp profile (moby profiles/seccomp/default.json), rewritten for
// spacelet: the "includes/excludes" by capability are resolved for an empty capability set
// and the architecture groups for the build's architecture, so the output is plain OCI.
#include "sandbox/seccomp/default_profile.h"

#include <array>
#include <cerrno>
#include <string_view>
#include <vector>

namespace spacelet::sandbox::seccomp {
namespace {

using nlohmann::json;

// Syscalls any unprivileged process may make. Names unknown on an architecture are skipped
// by compile(), so the 32-bit ABI variants (chown32, _llseek, socketcall, ...) sit here too.
constexpr std::array<std::string_view, 351> kAllowed = {
    "accept",
    "accept4",
    "access",
    "adjtimex",
    "alarm",
    "bind",
    "brk",
    "cachestat",
    "capget",
    "capset",
    "chdir",
    "chmod",
    "chown",
    "chown32",
    "clock_adjtime",
    "clock_adjtime64",
    "clock_getres",
    "clock_getres_time64",
    "clock_gettime",
    "clock_gettime64",
    "clock_nanosleep",
    "clock_nanosleep_time64",
    "close",
    "close_range",
    "connect",
    "copy_file_range",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_ctl_old",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "epoll_wait_old",
    "eventfd",
    "eventfd2",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fadvise64_64",
    "fallocate",
    "fanotify_mark",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "fchown",
    "fchown32",
    "fchownat",
    "fcntl",
    "fcntl64",
    "fdatasync",
    "fgetxattr",
    "flistxattr",
    "flock",
    "fork",
    "fremovexattr",
    "fsetxattr",
    "fstat",
    "fstat64",
    "fstatat64",
    "fstatfs",
    "fstatfs64",
    "fsync",
    "ftruncate",
    "ftruncate64",
    "futex",
    "futex_requeue",
    "futex_time64",
    "futex_wait",
    "futex_waitv",
    "futex_wake",
    "futimesat",
    "getcpu",
    "getcwd",
    "getdents",
    "getdents64",
    "getegid",
    "getegid32",
    "geteuid",
    "geteuid32",
    "getgid",
    "getgid32",
    "getgroups",
    "getgroups32",
    "getitimer",
    "getpeername",
    "getpgid",
    "getpgrp",
    "getpid",
    "getppid",
    "getpriority",
    "getrandom",
    "getresgid",
    "getresgid32",
    "getresuid",
    "getresuid32",
    "getrlimit",
    "get_robust_list",
    "getrusage",
    "getsid",
    "getsockname",
    "getsockopt",
    "get_thread_area",
    "gettid",
    "gettimeofday",
    "getuid",
    "getuid32",
    "getxattr",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "io_cancel",
    "ioctl",
    "io_destroy",
    "io_getevents",
    "io_pgetevents",
    "io_pgetevents_time64",
    "ioprio_get",
    "ioprio_set",
    "io_setup",
    "io_submit",
    "ipc",
    "kill",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    "lchown",
    "lchown32",
    "lgetxattr",
    "link",
    "linkat",
    "listen",
    "listxattr",
    "llistxattr",
    "_llseek",
    "lremovexattr",
    "lseek",
    "lsetxattr",
    "lstat",
    "lstat64",
    "madvise",
    "map_shadow_stack",
    "membarrier",
    "memfd_create",
    "memfd_secret",
    "mincore",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mmap2",
    "mprotect",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "mq_timedreceive",
    "mq_timedreceive_time64",
    "mq_timedsend",
    "mq_timedsend_time64",
    "mq_unlink",
    "mremap",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "nanosleep",
    "newfstatat",
    "_newselect",
    "open",
    "openat",
    "openat2",
    "pause",
    "pidfd_open",
    "pidfd_send_signal",
    "pipe",
    "pipe2",
    "pkey_alloc",
    "pkey_free",
    "pkey_mprotect",
    "poll",
    "ppoll",
    "ppoll_time64",
    "prctl",
    "pread64",
    "preadv",
    "preadv2",
    "prlimit64",
    "process_mrelease",
    "pselect6",
    "pselect6_time64",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readlink",
    "readlinkat",
    "readv",
    "recv",
    "recvfrom",
    "recvmmsg",
    "recvmmsg_time64",
    "recvmsg",
    "remap_file_pages",
    "removexattr",
    "rename",
    "renameat",
    "renameat2",
    "restart_syscall",
    "rmdir",
    "rseq",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo",
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_rr_get_interval_time64",
    "sched_setaffinity",
    "sched_setattr",
    "sched_setparam",
    "sched_setscheduler",
    "sched_yield",
    "seccomp",
    "select",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "semtimedop_time64",
    "send",
    "sendfile",
    "sendfile64",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setfsgid",
    "setfsgid32",
    "setfsuid",
    "setfsuid32",
    "setgid",
    "setgid32",
    "setgroups",
    "setgroups32",
    "setitimer",
    "setpgid",
    "setpriority",
    "setregid",
    "setregid32",
    "setresgid",
    "setresgid32",
    "setresuid",
    "setresuid32",
    "setreuid",
    "setreuid32",
    "setrlimit",
    "set_robust_list",
    "setsid",
    "setsockopt",
    "set_thread_area",
    "set_tid_address",
    "setuid",
    "setuid32",
    "setxattr",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
    "shutdown",
    "sigaltstack",
    "signalfd",
    "signalfd4",
    "sigprocmask",
    "sigreturn",
    "socketcall",
    "socketpair",
    "splice",
    "stat",
    "stat64",
    "statfs",
    "statfs64",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "sysinfo",
    "tee",
    "tgkill",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_gettime64",
    "timer_settime",
    "timer_settime64",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_gettime64",
    "timerfd_settime",
    "timerfd_settime64",
    "times",
    "tkill",
    "truncate",
    "truncate64",
    "ugetrlimit",
    "umask",
    "uname",
    "unlink",
    "unlinkat",
    "utime",
    "utimensat",
    "utimensat_time64",
    "utimes",
    "vfork",
    "vmsplice",
    "wait4",
    "waitid",
    "waitpid",
    "write",
    "writev",
};

// Safe since linux 4.8, where seccomp checks the syscall again after a tracer changed it;
// ptrace itself still needs the same uid (and Yama's consent) inside the user namespace.
constexpr std::array<std::string_view, 3> kTracing = {"process_vm_readv", "process_vm_writev",
                                                      "ptrace"};

// personality(2) values that change nothing security-relevant: PER_LINUX, PER_LINUX32,
// UNAME26, PER_LINUX32|UNAME26, and 0xffffffff (query the current persona).
constexpr std::array<uint64_t, 5> kPersonalities = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

constexpr uint64_t kAfVsock = 40;  // AF_VSOCK reaches the hypervisor; Docker blocks it

// Per-architecture: the ABIs to admit, and syscalls only that architecture has.
struct ArchProfile {
  std::vector<std::string_view> architectures;
  std::vector<std::string_view> extraSyscalls;
  unsigned cloneFlagsArg = 0;  // s390 swaps clone's first two arguments
};

ArchProfile nativeArch() {
#if defined(__x86_64__)
  return {{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}, {"arch_prctl", "modify_ldt"}};
#elif defined(__i386__)
  return {{"SCMP_ARCH_X86"}, {"modify_ldt"}};
#elif defined(__aarch64__) || defined(__arm__)
  return {{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"},
          {"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
           "cacheflush", "set_tls"}};
#elif defined(__s390x__)
  return {{"SCMP_ARCH_S390X", "SCMP_ARCH_S390"},
          {"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"},
          1};
#elif defined(__riscv) && __riscv_xlen == 64
  return {{"SCMP_ARCH_RISCV64"}, {"riscv_flush_icache"}};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return {{"SCMP_ARCH_PPC64LE"}, {"sync_file_range2"}};
#else
  return {{}, {}};  // the native ABI only, which libseccomp always includes
#endif
}

json allow(std::vector<std::string_view> names) {
  return {{"names", names}, {"action", "SCMP_ACT_ALLOW"}};
}

json allowIf(std::string_view name, unsigned index, std::string_view op, uint64_t value,
             uint64_t valueTwo = 0) {
  json rule = allow({name});
  rule["args"] =
      json::array({{{"index", index}, {"value", value}, {"valueTwo", valueTwo}, {"op", op}}});
  return rule;
}

json conditionalRules(const ArchProfile& arch) {
  json rules = json::array();
  rules.push_back(allowIf("socket", 0, "SCMP_CMP_NE", kAfVsock));
  for (uint64_t persona : kPersonalities) {
    rules.push_back(allowIf("personality", 0, "SCMP_CMP_EQ", persona));
  }
  // MASKED_EQ: value is the mask, valueTwo what (flags & mask) must equal.
  rules.push_back(
      allowIf("clone", arch.cloneFlagsArg, "SCMP_CMP_MASKED_EQ", kCloneNamespaceFlags, 0));
  rules.push_back({{"names", {"clone3"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", ENOSYS}});
  return rules;
}

}  // namespace

json defaultProfile() {
  ArchProfile arch = nativeArch();
  json syscalls = json::array();
  syscalls.push_back(allow({kAllowed.begin(), kAllowed.end()}));
  syscalls.push_back(allow({kTracing.begin(), kTracing.end()}));
  if (!arch.extraSyscalls.empty()) syscalls.push_back(allow(arch.extraSyscalls));
  for (auto& rule : conditionalRules(arch)) syscalls.push_back(std::move(rule));
  return {
      {"defaultAction", "SCMP_ACT_ERRNO"},
      {"defaultErrnoRet", EPERM},
      {"architectures", arch.architectures},
      {"syscalls", std::move(syscalls)},
  };
}

}  // namespace spacelet::sandbox::seccomp
