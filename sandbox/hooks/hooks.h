// OCI hooks: prestart/createRuntime/poststart/poststop run by the runtime in the host's
// namespaces; createContainer/startContainer run by the container's init inside the
// container's namespaces. Each gets the container state JSON on stdin and is killed when
// its timeout passes. One runner serves both sides: it does not allocate, so the init can
// use it after clone.
#pragma once

#include <string>
#include <vector>

#include "sandbox/spec/config.h"
#include "spacelet/base/error.h"

namespace spacelet::sandbox::hooks {

// A hook with its argv/envp arrays built before clone. Move-only: the arrays point into the
// string vectors' heap buffers, which a move keeps in place.
class PreparedHook {
 public:
  explicit PreparedHook(const spec::Hook& hook);
  PreparedHook(PreparedHook&&) = default;
  PreparedHook& operator=(PreparedHook&&) = default;
  PreparedHook(const PreparedHook&) = delete;
  PreparedHook& operator=(const PreparedHook&) = delete;

  const std::string& path() const { return path_; }
  char* const* argv() const { return argv_.data(); }
  char* const* envp() const { return envp_.data(); }
  int timeoutMs() const { return timeoutMs_; }

 private:
  std::string path_;
  std::vector<std::string> args_;
  std::vector<std::string> env_;
  std::vector<char*> argv_;
  std::vector<char*> envp_;
  int timeoutMs_ = -1;
};

std::vector<PreparedHook> prepareHooks(const std::vector<spec::Hook>& hooks);

// What happened to one hook; `output` holds the last bytes it printed (stdout and stderr).
struct HookOutcome {
  int err = 0;                 // errno of a failed fork/exec/wait, 0 otherwise
  const char* what = nullptr;  // what failed when err != 0
  int exitStatus = 0;          // shell-style: 128+signal when killed
  bool timedOut = false;
  char output[512] = {};
  bool ok() const { return err == 0 && !timedOut && exitStatus == 0; }
};

// Runs one hook to completion with `state` on its stdin. Async-signal-safe.
void runHook(const PreparedHook& hook, const char* state, size_t stateLen, HookOutcome& out);

// Runs hooks in order and turns the first failure into an Error naming `kind` and index:
//   "hooks.poststart[1] '/usr/bin/x' exited with status 3: <its output>".
Result<void> runHooks(const std::vector<PreparedHook>& hooks, const std::string& state,
                      const std::string& kind);

// The same message, formatted from an outcome (for errors reported by the init).
std::string describeFailure(const HookOutcome& outcome, const std::string& kind, size_t index,
                            const std::string& path);

}  // namespace spacelet::sandbox::hooks
