// `spacelet-run exec`: another process in a running container. Its settings come from
// --process FILE, or from the container's own process with the command-line overrides
// (args, env, cwd, user, capabilities, tty), as runc does. It joins every namespace of the
// container that differs from ours, and the container's cgroup.
#include <sys/socket.h>
#include <sys/stat.h>

#include "sandbox/container/foreground.h"
#include "sandbox/container/loaded.h"
#include "sandbox/linux/console.h"
#include "sandbox/linux/process_attributes.h"
#include "sandbox/spec/names.h"
#include "sandbox/spec/parse.h"
#include "sandbox/spec/validate.h"
#include "spacelet/base/file_io.h"

namespace spacelet::sandbox::container {
namespace {

Result<spec::Process> processFromFile(const std::string& file) {
  auto text = file == "-" ? readAll(0) : readFileAt(AT_FDCWD, file);
  if (!text) return fail(std::move(text).error().withContext("read --process '" + file + "'"));
  auto json = spec::parseJson(*text, "--process '" + file + "'");
  if (!json) return fail(std::move(json).error());
  auto process = spec::parseProcess(*json, "");
  if (!process) return fail(std::move(process).error().withContext("--process '" + file + "'"));
  return process;
}

Result<void> applyUser(const std::string& user, spec::User& out) {
  size_t colon = user.find(':');
  auto number = [&](const std::string& text) -> std::optional<uint32_t> {
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return {};
    return static_cast<uint32_t>(std::stoul(text));
  };
  auto uid = number(user.substr(0, colon));
  auto gid = colon == std::string::npos ? std::optional<uint32_t>(out.gid)
                                        : number(user.substr(colon + 1));
  if (!uid || !gid) return failInvalid("--user '" + user + "': expected UID[:GID] (numbers)");
  out.uid = *uid;
  out.gid = *gid;
  return {};
}

Result<void> addCapabilities(const std::vector<std::string>& names, spec::Process& p) {
  spec::Capabilities caps = p.capabilities.value_or(spec::Capabilities{});
  for (const auto& name : names) {
    auto cap = spec::capabilityFromName(name);
    if (!cap) return failInvalid("--cap '" + name + "': unknown capability (e.g. CAP_NET_ADMIN)");
    uint64_t bit = uint64_t{1} << *cap;
    caps.bounding |= bit;
    caps.effective |= bit;
    caps.permitted |= bit;
    caps.inheritable |= bit;
  }
  p.capabilities = caps;
  return {};
}

void mergeEnv(const std::vector<std::string>& extra, std::vector<std::string>& env) {
  for (const auto& entry : extra) {
    std::string name = entry.substr(0, entry.find('='));
    std::erase_if(env, [&](const std::string& e) { return e.substr(0, e.find('=')) == name; });
    env.push_back(entry);
  }
}

Result<spec::Process> processFromOptions(const ExecOptions& o, const spec::Spec& config) {
  if (o.args.empty()) {
    return failInvalid(
        "exec needs a command: spacelet-run exec ID COMMAND [ARG...] (or "
        "--process FILE)");
  }
  spec::Process p = *config.process;
  p.args = o.args;
  p.terminal = o.tty;
  p.consoleSize.reset();
  mergeEnv(o.env, p.env);
  if (!o.cwd.empty()) p.cwd = o.cwd;
  if (!o.user.empty()) SPACELET_TRY(applyUser(o.user, p.user));
  if (!o.additionalGids.empty()) p.user.additionalGids = o.additionalGids;
  SPACELET_TRY(addCapabilities(o.caps, p));
  p.noNewPrivileges = p.noNewPrivileges || o.noNewPrivileges;
  return p;
}

// The namespaces of `pid` that differ from ours: the ones exec must enter.
int namespacesToJoin(pid_t pid) {
  int flags = 0;
  for (auto type : spec::allNamespaceTypes()) {
    std::string name(spec::namespaceProcName(type));
    struct stat theirs {
    }, ours{};
    if (::stat(("/proc/" + std::to_string(pid) + "/ns/" + name).c_str(), &theirs) != 0 ||
        ::stat(("/proc/self/ns/" + name).c_str(), &ours) != 0) {
      continue;
    }
    if (theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev) {
      flags |= spec::namespaceCloneFlag(type);
    }
  }
  return flags;
}

bool setgroupsAllowed(pid_t pid) {
  auto text = readFileAt(AT_FDCWD, "/proc/" + std::to_string(pid) + "/setgroups");
  return !text || text->rfind("deny", 0) != 0;
}

}  // namespace

namespace {

struct ExecConsole {
  UniqueFd socket;    // what the child sends the terminal on (ours, or --console-socket's)
  UniqueFd receiver;  // our end when we relay the terminal ourselves
};

Result<ExecConsole> execConsole(const ExecOptions& o, const spec::Process& p) {
  ExecConsole console;
  if (!p.terminal) return console;
  if (!o.consoleSocket.empty()) {
    auto fd = linux::connectConsoleSocket(o.consoleSocket);
    if (!fd) return fail(std::move(fd).error());
    console.socket = std::move(*fd);
    return console;
  }
  if (o.detach) {
    return failInvalid(
        "--tty with --detach needs --console-socket (nobody would hold the "
        "terminal)");
  }
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return failErrno(errno, "create a socket for the terminal");
  }
  console.receiver.reset(fds[0]);
  console.socket.reset(fds[1]);
  return console;
}

Result<spec::Process> execProcessSpec(const ExecOptions& o, const spec::Spec& config) {
  auto p = o.processFile.empty() ? processFromOptions(o, config) : processFromFile(o.processFile);
  if (!p) return p;
  SPACELET_TRY(spec::validateProcess(*p, config, "process"));
  return p;
}

process::SpawnCallbacks execCallbacks(cgroup::Manager& cg, const spec::Process& p) {
  process::SpawnCallbacks cb;
  cb.joinCgroup = [&cg](pid_t pid) { return cg.addProcess(pid); };
  cb.configure = [&p](pid_t pid) -> Result<void> {
    SPACELET_TRY(linux::applyRlimits(pid, p.rlimits));
    if (p.oomScoreAdj) SPACELET_TRY(linux::setOomScoreAdj(pid, *p.oomScoreAdj));
    return {};
  };
  return cb;
}

}  // namespace

Result<int> exec(const GlobalOptions& global, const ExecOptions& o) {
  auto loaded = loadContainer(global, o.id, false);
  if (!loaded) return fail(std::move(loaded).error());
  SPACELET_TRY(
      requireStatus(*loaded, {state::Status::kCreated, state::Status::kRunning}, "exec in"));
  auto config = loadStoredConfig(loaded->dir.get());
  if (!config) return fail(std::move(config).error());
  auto p = execProcessSpec(o, *config);
  if (!p) return fail(std::move(p).error());
  auto pidfd = openInitPidfd(loaded->state);
  if (!pidfd) return fail(std::move(pidfd).error());
  pid_t pid = loaded->state.pid;
  auto plan = process::buildProcessPlan(*p, config->linux.seccomp, setgroupsAllowed(pid));
  if (!plan) return fail(std::move(plan).error());
  auto console = execConsole(o, *p);
  if (!console) return fail(std::move(console).error());
  plan->personality = config->linux.personality;
  plan->preserveFds = o.preserveFds;
  plan->consoleSocket = console->socket.get();
  auto cg = reopenCgroup(global, loaded->state);
  if (!cg) return fail(std::move(cg).error());
  ForwardedSignals signals;
  auto pair = process::makeSyncPair();
  if (!pair) return fail(std::move(pair).error());
  auto child = process::spawnExec(*plan, pidfd->get(), namespacesToJoin(pid), std::move(*pair),
                                  execCallbacks(**cg, *p));
  if (!child) return fail(std::move(child).error());
  if (!o.pidFile.empty()) SPACELET_TRY(writePidFile(o.pidFile, child->pid()));
  if (o.detach) {
    child->release();
    return 0;
  }
  UniqueFd terminal;
  if (console->receiver) {
    auto fd = linux::receiveFd(console->receiver.get());
    if (!fd) return fail(std::move(fd).error());
    terminal = std::move(*fd);
  }
  // Unlocked while waiting: a foreground exec must not block `delete` of its container.
  loaded->dir.reset();
  return waitInForeground(*child, signals, terminal.get());
}

}  // namespace spacelet::sandbox::container
