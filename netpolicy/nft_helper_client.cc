// Starting, feeding and restarting spacelet-nft-helper (see nft_helper_client.h).
#include "nft_helper_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "netns.h"
#include "nft_helper_protocol.h"
#include "nft_runner.h"

namespace spacelet::netpolicy {

NftHelper::~NftHelper() {
  stop();
}

Result<void> NftHelper::start() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return failErrno(errno, "create the nft helper's socket");
  }
  UniqueFd mine(pair[0]), theirs(pair[1]);
  int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null < 0) return failErrno(errno, "open /dev/null");
  UniqueFd devNull(null);
  auto pid = runInNetns(netns_, [&] {
    return spawnProgram({path_}, {theirs.get(), theirs.get(), devNull.get()});
  });
  if (!pid) return fail(std::move(pid).error().withContext("start the nft helper"));
  pid_ = *pid;
  pidfd_ = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
  socket_ = std::move(mine);
  return {};
}

// COMPAT(linux<5.3): without a pidfd a dead helper shows as a failed send instead.
bool NftHelper::exited() const {
  if (!pidfd_) return false;
  struct pollfd p = {pidfd_.get(), POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

// Closing the socket ends the helper's input; one that does not exit at once is killed.
void NftHelper::stop() {
  if (pid_ < 0) return;
  socket_ = UniqueFd();
  if (pidfd_) {
    struct pollfd p = {pidfd_.get(), POLLIN, 0};
    if (::poll(&p, 1, 100) != 1)
      ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  }
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  pidfd_ = UniqueFd();
}

Result<void> NftHelper::send(std::string_view document) {
  if (pid_ >= 0 && exited()) stop();
  if (pid_ < 0) SPACELET_TRY(start());
  if (writeFrame(socket_.get(), document)) return {};
  // It died before taking the document (it acts on whole frames only): a new one may.
  stop();
  SPACELET_TRY(start());
  if (writeFrame(socket_.get(), document)) return {};
  stop();
  return failErrno(EPIPE, "the nft helper '" + path_ + "' does not take documents");
}

Result<std::string> NftHelper::receive() {
  if (pid_ < 0) return failErrno(EPIPE, "the nft helper is not running");
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  std::string status, out, err;
  FrameRead got = readFrame(socket_.get(), status, deadline);
  if (got == FrameRead::kFrame) got = readFrame(socket_.get(), out, deadline);
  if (got == FrameRead::kFrame) got = readFrame(socket_.get(), err, deadline);
  if (got == FrameRead::kTimeout) {
    stop();
    return fail(Error{ETIMEDOUT,
                      "the nft helper was killed after its timeout (network."
                      "nft_timeout_ms); the change may or may not be in effect"});
  }
  if (got != FrameRead::kFrame) {
    stop();
    return fail(Error{EPIPE,
                      "the nft helper died while applying a change, which may or may "
                      "not be in effect; the next change starts a new helper"});
  }
  if (status != "0") {
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    return fail(Error{EPROTO, "nft failed: " + err});
  }
  return out;
}

}  // namespace spacelet::netpolicy
