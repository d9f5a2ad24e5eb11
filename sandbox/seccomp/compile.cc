// compile(): a Spec into a classic-BPF program with libseccomp, in the runtime before clone.
// The program is exported to a memfd and read back (libseccomp 2.5 has no export to memory),
// so the child after clone only needs the bytes and one seccomp(2) call. Deny-by-default
// filters get the -ENOSYS stub in front (enosys_stub.h).
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>

#include "sandbox/seccomp/enosys_stub.h"
#include "sandbox/seccomp/names.h"
#include "sandbox/seccomp/seccomp.h"
#include "spacelet/base/file_io.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::sandbox::seccomp {
namespace {

constexpr unsigned kDefaultErrno = EPERM;  // the spec's default for errnoRet/defaultErrnoRet
constexpr size_t kMaxInstructions = BPF_MAXINSNS;

struct ContextDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

Unexpected failLibseccomp(int rc, const std::string& what) {
  return failErrno(-rc, what);
}

Result<uint32_t> toAction(const std::string& name, std::optional<unsigned> errnoRet) {
  auto base = lookup(actionNames(), name);
  if (!base)
    return failInvalid("unknown action '" + name + "'; valid: " + listNames(actionNames()));
  if (errnoRet && !actionTakesErrno(name)) {
    return failInvalid("action '" + name + "' takes no errno");
  }
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(errnoRet.value_or(kDefaultErrno));
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(errnoRet.value_or(kDefaultErrno));
  return *base;
}

Result<Context> newContext(const Spec& spec, uint32_t defaultAction) {
  Context ctx(seccomp_init(defaultAction));
  if (!ctx) {
    return failInvalid("seccomp_init: libseccomp refused default action '" + spec.defaultAction +
                       "' (does this kernel support it?)");
  }
  // A syscall from an architecture the profile does not list must not slip past an
  // allowlist or a denylist, so it kills the whole process rather than one thread.
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  if (rc < 0) return failLibseccomp(rc, "set the bad-architecture action");
  return ctx;
}

Result<void> addArchitectures(void* ctx, const Spec& spec) {
  for (size_t i = 0; i < spec.architectures.size(); ++i) {
    const std::string& name = spec.architectures[i];
    auto token = lookup(architectureNames(), name);
    if (!token) {
      return failInvalid("architectures[" + std::to_string(i) + "]: unknown architecture '" + name +
                         "'; valid: " + listNames(architectureNames()));
    }
    int rc = seccomp_arch_add(ctx, *token);
    if (rc < 0 && rc != -EEXIST) return failLibseccomp(rc, "add architecture '" + name + "'");
  }
  return {};
}

Result<std::vector<scmp_arg_cmp>> toConditions(const std::vector<ArgCondition>& args) {
  std::vector<scmp_arg_cmp> out;
  for (size_t i = 0; i < args.size(); ++i) {
    auto op = lookup(operatorNames(), args[i].op);
    if (!op) {
      return failInvalid("args[" + std::to_string(i) + "]: unknown operator '" + args[i].op +
                         "'; valid: " + listNames(operatorNames()));
    }
    // OCI's value/valueTwo are libseccomp's datum_a/datum_b: for SCMP_CMP_MASKED_EQ,
    // value is the mask and valueTwo the expected result of (arg & mask).
    out.push_back(scmp_arg_cmp{args[i].index, static_cast<scmp_compare>(*op), args[i].value,
                               args[i].valueTwo});
  }
  return out;
}

// runc's semantics, which Docker's profile relies on: conditions on distinct arguments are
// ANDed in one rule; when an argument is tested more than once, each condition becomes its
// own rule (ORed), since libseccomp cannot test one argument twice in a rule.
std::vector<std::vector<scmp_arg_cmp>> groupConditions(const std::vector<scmp_arg_cmp>& conds) {
  std::set<unsigned> seen;
  bool repeated = false;
  for (const auto& c : conds) repeated |= !seen.insert(c.arg).second;
  if (!repeated) return {conds};
  std::vector<std::vector<scmp_arg_cmp>> groups;
  for (const auto& c : conds) groups.push_back({c});
  return groups;
}

Result<void> addSyscall(void* ctx, uint32_t action, const std::string& name,
                        const std::vector<std::vector<scmp_arg_cmp>>& groups) {
  int nr = seccomp_syscall_resolve_name(name.c_str());
  // Unknown on this architecture (or to this libseccomp): skipped, as runc and crun do, so
  // one profile serves several architectures and kernel versions.
  if (nr == __NR_SCMP_ERROR) return {};
  for (const auto& conds : groups) {
    int rc =
        seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(conds.size()), conds.data());
    if (rc < 0) return failLibseccomp(rc, "add a rule for syscall '" + name + "'");
  }
  return {};
}

Result<void> addRule(void* ctx, const SyscallRule& rule, uint32_t defaultAction) {
  auto action = toAction(rule.action, rule.errnoRet);
  if (!action) return fail(std::move(action).error());
  // libseccomp refuses (EACCES) a rule that repeats the default action; it changes nothing.
  if (*action == defaultAction) return {};
  auto conds = toConditions(rule.args);
  if (!conds) return fail(std::move(conds).error());
  auto groups = groupConditions(*conds);
  for (const auto& name : rule.names) SPACELET_TRY(addSyscall(ctx, *action, name, groups));
  return {};
}

Result<std::vector<struct sock_filter>> exportProgram(void* ctx) {
  UniqueFd fd(::memfd_create("spacelet-seccomp", MFD_CLOEXEC));
  if (!fd) return failErrno(errno, "memfd_create for the seccomp program");
  int rc = seccomp_export_bpf(ctx, fd.get());
  if (rc < 0) return failLibseccomp(rc, "export the seccomp program");
  if (::lseek(fd.get(), 0, SEEK_SET) < 0) return failErrno(errno, "rewind the seccomp program");
  auto bytes = readAll(fd.get());
  if (!bytes) return fail(std::move(bytes).error().withContext("read the seccomp program"));
  if (bytes->size() % sizeof(struct sock_filter) != 0) {
    return failInvalid("libseccomp exported " + std::to_string(bytes->size()) +
                       " bytes, not a whole number of BPF instructions");
  }
  std::vector<struct sock_filter> program(bytes->size() / sizeof(struct sock_filter));
  std::memcpy(program.data(), bytes->data(), bytes->size());
  return program;
}

bool usesNotify(const Spec& spec) {
  return std::any_of(spec.syscalls.begin(), spec.syscalls.end(),
                     [](const SyscallRule& r) { return r.action == "SCMP_ACT_NOTIFY"; });
}

Result<unsigned> toFlags(const Spec& spec, bool notify) {
  unsigned flags = notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
  for (size_t i = 0; i < spec.flags.size(); ++i) {
    auto bit = lookup(flagNames(), spec.flags[i]);
    if (!bit) {
      return failInvalid("flags[" + std::to_string(i) + "]: unknown flag '" + spec.flags[i] +
                         "'; valid: " + listNames(flagNames()));
    }
    flags |= *bit;
  }
  // TSYNC and NEW_LISTENER both want the return value; TSYNC_ESRCH (linux 5.7) lets the
  // listener fd win, reporting a thread that could not be synced as ESRCH instead.
  if ((flags & SECCOMP_FILTER_FLAG_TSYNC) && notify) flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  return flags;
}

}  // namespace

Result<CompiledFilter> compile(const Spec& spec) {
  auto defaultAction = toAction(spec.defaultAction, spec.defaultErrnoRet);
  if (!defaultAction) return fail(std::move(defaultAction).error().withContext("defaultAction"));
  auto ctx = newContext(spec, *defaultAction);
  if (!ctx) return fail(std::move(ctx).error());
  SPACELET_TRY(addArchitectures(ctx->get(), spec));
  for (size_t i = 0; i < spec.syscalls.size(); ++i) {
    SPACELET_TRY_CONTEXT(addRule(ctx->get(), spec.syscalls[i], *defaultAction),
                         "syscalls[" + std::to_string(i) + "]");
  }
  CompiledFilter filter;
  filter.usesNotify = usesNotify(spec);
  auto flags = toFlags(spec, filter.usesNotify);
  if (!flags) return fail(std::move(flags).error());
  filter.flags = *flags;
  auto program = exportProgram(ctx->get());
  if (!program) return fail(std::move(program).error());
  auto highest = highestNamedSyscall(spec);
  if (defaultDenies(spec.defaultAction) && highest) {
    *program = withEnosysStub(*program, seccomp_arch_native(), *highest);
  }
  if (program->size() > kMaxInstructions) {
    return failInvalid("the filter has " + std::to_string(program->size()) +
                       " BPF instructions; the kernel accepts at most " +
                       std::to_string(kMaxInstructions) + ": merge or drop syscall rules");
  }
  filter.program = std::move(*program);
  return filter;
}

}  // namespace spacelet::sandbox::seccomp
