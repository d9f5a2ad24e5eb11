// The HTTP health probe (see health_probe.h).
#include "agent/supervisor/health_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "spacelet/base/file_io.h"

namespace spacelet::agent::supervisor {
namespace {

using namespace std::chrono;

Result<UniqueFd> connectHere(const std::string& ip, uint16_t port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  if (::inet_pton(AF_INET, ip.c_str(), &sin.sin_addr) != 1) {
    return failInvalid("'" + ip + "' is not an IPv4 address");
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return failErrno(errno, "socket");
  UniqueFd sock(fd);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0 && errno != EINPROGRESS) {
    return failErrno(errno, "connect to " + ip + ":" + std::to_string(port));
  }
  return sock;
}

// Waits for fd to become ready for `events`; false on timeout.
bool waitFor(int fd, short events, milliseconds timeout) {
  struct pollfd pfd = {fd, events, 0};
  return ::poll(&pfd, 1, static_cast<int>(std::max<int64_t>(0, timeout.count()))) > 0;
}

}  // namespace

Result<UniqueFd> connectFrom(const std::string& netns, const std::string& ip, uint16_t port) {
  if (netns.empty()) return connectHere(ip, port);
  Result<UniqueFd> result = failInvalid("not run");
  // setns affects only the calling thread; a socket keeps the namespace it was made in.
  std::thread helper([&] {
    auto ns = openAt(AT_FDCWD, netns, O_RDONLY);
    if (!ns) {
      result = fail(std::move(ns).error());
      return;
    }
    if (::setns(ns->get(), CLONE_NEWNET) != 0) {
      result = failErrno(errno, "join network namespace '" + netns + "'");
      return;
    }
    result = connectHere(ip, port);
  });
  helper.join();
  return result;
}

Result<std::string> probeOnce(const ProbeTarget& target, milliseconds timeout) {
  auto deadline = steady_clock::now() + timeout;
  auto left = [&] { return duration_cast<milliseconds>(deadline - steady_clock::now()); };
  auto sock = connectFrom(target.netns, target.ip, target.port);
  if (!sock) return fail(std::move(sock).error());
  if (!waitFor(sock->get(), POLLOUT, left())) return failInvalid("connect timed out");
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(sock->get(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0)
    return failErrno(err, "connect to " + target.ip + ":" + std::to_string(target.port));
  std::string request = "GET / HTTP/1.1\r\nHost: " + target.host +
                        "\r\nUser-Agent: spacelet-health\r\nConnection: close\r\n\r\n";
  if (::send(sock->get(), request.data(), request.size(), MSG_NOSIGNAL) < 0) {
    return failErrno(errno, "send the probe");
  }
  std::string reply;
  while (reply.find('\n') == std::string::npos && reply.size() < 1024) {
    if (!waitFor(sock->get(), POLLIN, left())) return failInvalid("no answer in time");
    char buf[512];
    ssize_t n = ::recv(sock->get(), buf, sizeof buf, 0);
    if (n <= 0) return failInvalid("the app closed the connection without answering");
    reply.append(buf, static_cast<size_t>(n));
  }
  if (reply.rfind("HTTP/", 0) != 0) return failInvalid("the app answered, but not with HTTP");
  return reply.substr(0, reply.find_first_of("\r\n"));
}

Result<std::string> waitHealthy(const ProbeTarget& target, steady_clock::time_point deadline,
                                const std::function<bool()>& keepGoing, milliseconds interval) {
  Error last{0, "no attempt made"};
  while (steady_clock::now() < deadline) {
    if (!keepGoing()) return fail(Error{ECANCELED, "stopped waiting: " + last.message});
    auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
    auto status = probeOnce(target, std::min(left, milliseconds(2000)));
    if (status) return status;
    last = status.error();
    std::this_thread::sleep_for(interval);
  }
  return fail(Error{ETIMEDOUT, "the app did not answer HTTP on port " +
                                   std::to_string(target.port) + " in time (last: " + last.message +
                                   ")"});
}

}  // namespace spacelet::agent::supervisor
