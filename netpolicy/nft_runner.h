// Runs nft(8) with a JSON document on stdin in the node's network namespace. nft is a short-
// lived child because libnftables must not live in the agent (it uses select() and aborts once
// an fd number passes 1024). The child is started with posix_spawn (vfork + exec: nothing of
// the agent's code runs in it) from a thread that joined the node namespace; its stdin, stdout
// and stderr are memfds, so there is no pipe to deadlock on or to raise SIGPIPE.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::netpolicy {

struct ProgramOutput {
  int status = 0;  // exit code, or 128 + signal
  std::string out;
  std::string err;
};

// Runs argv[0] (an absolute path) to completion in the calling thread's network namespace,
// with `input` on stdin, an environment of PATH and LC_ALL=C, an empty signal mask and every
// other fd closed. Past `timeout` the child is killed and an ETIMEDOUT error returned.
Result<ProgramOutput> runProgram(const std::vector<std::string>& argv, std::string_view input,
                                 std::chrono::milliseconds timeout);

class NftRunner {
 public:
  // `netns` is borrowed (invalid: the caller's namespace) and must outlive the runner.
  NftRunner(std::string nftPath, FdView netns, std::chrono::milliseconds timeout)
      : nftPath_(std::move(nftPath)), netns_(netns), timeout_(timeout) {}

  // Applies (or, for list commands, queries) `document` in one transaction; returns stdout.
  Result<std::string> apply(const nlohmann::json& document) const;
  // Runs nft with arguments (e.g. {"-j", "list", "tables"}); returns stdout.
  Result<std::string> run(const std::vector<std::string>& args, std::string_view input = {}) const;

 private:
  std::string nftPath_;
  FdView netns_;
  std::chrono::milliseconds timeout_;
};

}  // namespace spacelet::netpolicy
