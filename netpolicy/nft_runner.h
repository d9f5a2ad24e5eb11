// Runs nft(8) with a JSON document on stdin in the node's network namespace. nft is a short-
// lived child because libnftables must not live in the agent (it uses select() and aborts once
// an fd number passes 1024). The child is started with posix_spawn (vfork + exec: nothing of
// the agent's code runs in it) from a thread that joined the node namespace; its stdin, stdout
// and stderr are memfds, so there is no pipe to deadlock on or to raise SIGPIPE. A run can be
// started, overlapped with netlink work, and finished later (the kernel's RCU waits of a
// table change and of a link change then overlap).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "nft_helper_client.h"
#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::netpolicy {

struct ProgramOutput {
  int status = 0;  // exit code, or 128 + signal
  std::string out;
  std::string err;
};

// A started child. finish() waits for it (killing it past the deadline); a Running destroyed
// unfinished is killed and reaped. Owns the pidfd and the output memfds. Not thread-safe.
class RunningProgram {
 public:
  RunningProgram() = default;
  RunningProgram(RunningProgram&& other) noexcept;
  RunningProgram& operator=(RunningProgram&&) = delete;
  ~RunningProgram();

  Result<ProgramOutput> finish();

 private:
  friend Result<RunningProgram> startProgram(const std::vector<std::string>&, std::string_view,
                                             std::chrono::milliseconds);
  std::string program_;
  pid_t pid_ = -1;
  UniqueFd pidfd_;
  UniqueFd out_;
  UniqueFd err_;
  std::chrono::steady_clock::time_point deadline_;
};

// Starts argv[0] with `stdio` as its fds 0, 1 and 2 (borrowed), in the calling thread's
// network namespace, with the environment, signal mask and fds described below.
Result<pid_t> spawnProgram(const std::vector<std::string>& argv, const int (&stdio)[3]);

// Starts argv[0] (an absolute path) in the calling thread's network namespace, with `input` on
// stdin, an environment of PATH and LC_ALL=C, an empty signal mask and every other fd closed.
// finish() past `timeout` kills it and returns an ETIMEDOUT error.
Result<RunningProgram> startProgram(const std::vector<std::string>& argv, std::string_view input,
                                    std::chrono::milliseconds timeout);

// Documents go to the persistent spacelet-nft-helper when one is configured (helperPath not
// empty), else to an nft process each; nft commands with arguments always start nft.
class NftRunner {
 public:
  // `netns` is borrowed (invalid: the caller's namespace) and must outlive the runner.
  NftRunner(std::string nftPath, std::string helperPath, FdView netns,
            std::chrono::milliseconds timeout)
      : nftPath_(std::move(nftPath)),
        netns_(netns),
        timeout_(timeout),
        helper_(helperPath.empty() ? nullptr
                                   : std::make_unique<NftHelper>(helperPath, netns, timeout)) {}

  // A started run; finish() returns nft's output, or an error with nft's message.
  class Pending {
   public:
    explicit Pending(RunningProgram program) : program_(std::move(program)) {}
    explicit Pending(NftHelper* helper) : helper_(helper) {}
    Result<std::string> finish();

   private:
    RunningProgram program_;
    NftHelper* helper_ = nullptr;  // answers when set
  };

  // The helper's pid, or -1 when none runs (for tests).
  pid_t helperPid() const { return helper_ ? helper_->pid() : -1; }

  // Starts applying (or, for list commands, querying) `document` in one transaction.
  Result<Pending> start(const nlohmann::json& document) const;
  Result<std::string> apply(const nlohmann::json& document) const;
  // Runs nft with arguments (e.g. {"-j", "list", "tables"}); returns stdout.
  Result<std::string> run(const std::vector<std::string>& args, std::string_view input = {}) const;

 private:
  Result<Pending> startArgs(const std::vector<std::string>& args, std::string_view input) const;
  std::string nftPath_;
  FdView netns_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<NftHelper> helper_;  // not const through the runner: it is a channel
};

}  // namespace spacelet::netpolicy
