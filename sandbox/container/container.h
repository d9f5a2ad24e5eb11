// The operations of spacelet-run, one function per command, as a library: the CLI
// (sandbox/cli/) only parses arguments and calls these; the agent may call them too.
// Every function returns an Error that says what went wrong and how to fix it; none logs
// except where noted (warnings for failed poststart/poststop hooks, which the spec says
// must not fail the operation).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "sandbox/cgroup/cgroup.h"
#include "sandbox/spec/json_fields.h"
#include "sandbox/state/state.h"
#include "spacelet/base/error.h"

namespace spacelet::sandbox::container {

// runc's global flags that reach the library.
struct GlobalOptions {
  std::string root = "/run/spacelet-run";  // --root: where container state lives
  bool systemdCgroup = false;              // --systemd-cgroup
  std::string cgroupRoot = "/sys/fs/cgroup";
};

struct CreateOptions {
  std::string id;
  std::string bundle = ".";
  std::string pidFile;
  std::string consoleSocket;
  bool noPivot = false;
  bool noNewKeyring = false;
  int preserveFds = 0;
};

// create: sets the container up and leaves its init waiting for `start`.
Result<void> create(const GlobalOptions& global, const CreateOptions& options);
// start: lets a created container's init run the program; runs poststart hooks.
Result<void> start(const GlobalOptions& global, const std::string& id);

struct RunOptions {
  CreateOptions create;
  bool detach = false;
  bool keep = false;  // keep the stopped container (and its exit status) instead of deleting it
};
// run: create + start; in the foreground it waits, forwarding signals (and the terminal when
// process.terminal is set without a console socket), and returns the container's exit
// status (128+signal when killed).
Result<int> run(const GlobalOptions& global, const RunOptions& options);

// state: the OCI state document.
Result<spec::Json> state(const GlobalOptions& global, const std::string& id);

// kill: sends `signal` to the init, or with `all` to every process in the cgroup.
Result<void> kill(const GlobalOptions& global, const std::string& id, int signal, bool all);

// delete: removes a stopped (or created) container; `force` kills a running one first.
Result<void> remove(const GlobalOptions& global, const std::string& id, bool force);

struct ExecOptions {
  std::string id;
  std::string processFile;  // --process FILE (a process object); else the fields below
  std::vector<std::string> args;
  bool tty = false;
  std::string cwd;
  std::vector<std::string> env;
  std::string user;  // "uid[:gid]"
  std::vector<uint32_t> additionalGids;
  std::vector<std::string> caps;  // --cap, added to the container's sets
  bool noNewPrivileges = false;
  bool detach = false;
  std::string pidFile;
  std::string consoleSocket;
  int preserveFds = 0;
};
// exec: runs another process in a running container; returns its exit status, or 0 with
// `detach`.
Result<int> exec(const GlobalOptions& global, const ExecOptions& options);

struct ListEntry {
  state::ContainerState state;
  state::Status status = state::Status::kStopped;
};
Result<std::vector<ListEntry>> list(const GlobalOptions& global);

// The pids in the container's cgroup.
Result<std::vector<pid_t>> processes(const GlobalOptions& global, const std::string& id);

Result<void> pause(const GlobalOptions& global, const std::string& id);
Result<void> resume(const GlobalOptions& global, const std::string& id);
Result<void> update(const GlobalOptions& global, const std::string& id,
                    const cgroup::Resources& resources);

// The runtime-spec "features" document.
spec::Json features();
// A default config.json (runc spec's), for `spacelet-run spec`; `rootless` adds a user
// namespace mapping the caller's uid.
spec::Json defaultSpec(bool rootless);

}  // namespace spacelet::sandbox::container
