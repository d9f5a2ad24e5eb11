// sd_notify messages (see notify.h), sent without ever blocking the agent for long.
#include "agent/daemon/notify.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "spacelet/base/unique_fd.h"

namespace spacelet::agent::daemon {
namespace {

using std::chrono::milliseconds;

// STATUS is one line: newlines would end the assignment early.
std::string oneLine(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

// One datagram to $NOTIFY_SOCKET (a path, or '@' for an abstract name), as sd_notify sends
// it, but non-blocking: libsystemd's sd_notify blocks while the receiver's queue is full
// (net.unix.max_dgram_qlen, 10 by default), so a manager that stops reading would hang the
// agent's event loop and with it the API. A state change waits up to `wait` for room; a
// STATUS line that finds the queue full is dropped (the next one replaces it anyway).
void send(const std::string& message, milliseconds wait) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || (path[0] != '/' && path[0] != '@')) return;
  sockaddr_un addr{};
  size_t length = std::strlen(path);
  if (length >= sizeof addr.sun_path) return;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path, length);
  if (path[0] == '@') addr.sun_path[0] = '\0';
  auto size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length);
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), size) != 0) return;
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    if (::send(fd.get(), message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT) >= 0) return;
    if (errno != EAGAIN && errno != EINTR) return;
    auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    pollfd ready{fd.get(), POLLOUT, 0};
    (void)::poll(&ready, 1, static_cast<int>(left.count()));
  }
}

constexpr milliseconds kStateChangeWait{1000};

}  // namespace

void notifyReady(const std::string& status) {
  send("READY=1\nSTATUS=" + oneLine(status), kStateChangeWait);
}

void notifyStatus(const std::string& status) {
  send("STATUS=" + oneLine(status), milliseconds(0));
}

void notifyReloading() {
  send("RELOADING=1\nSTATUS=Reloading configuration", kStateChangeWait);
}

void notifyStopping() {
  send("STOPPING=1\nSTATUS=Stopping", kStateChangeWait);
}

}  // namespace spacelet::agent::daemon
