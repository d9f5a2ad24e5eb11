// The library's end of spacelet-nft-helper (netpolicy/nft_helper/main.cc): one long-lived
// helper process, started on first use in the node's network namespace, that applies nft JSON
// documents sent over a socketpair. It saves a process start and libnftables setup per
// change. A helper that died is started again for the next document; one that dies or hangs
// while applying a document fails that document (killed past the timeout), never retried,
// so a change is never applied twice or reported done when it was not.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::netpolicy {

class NftHelper {
 public:
  // `netns` is borrowed (invalid: the caller's namespace) and must outlive the helper.
  NftHelper(std::string path, FdView netns, std::chrono::milliseconds timeout)
      : path_(std::move(path)), netns_(netns), timeout_(timeout) {}
  // Closes the socket (the helper exits at end of input) and reaps it.
  ~NftHelper();
  NftHelper(const NftHelper&) = delete;
  NftHelper& operator=(const NftHelper&) = delete;

  // Sends one document, starting the helper first when none is running.
  Result<void> send(std::string_view document);
  // The answer to the last document: nft's output, or an error with its messages.
  Result<std::string> receive();
  // The helper's pid, or -1 when none runs (for tests).
  pid_t pid() const { return pid_; }

 private:
  Result<void> start();
  bool exited() const;
  void stop();

  std::string path_;
  FdView netns_;
  std::chrono::milliseconds timeout_;
  pid_t pid_ = -1;
  UniqueFd pidfd_;
  UniqueFd socket_;
};

}  // namespace spacelet::netpolicy
