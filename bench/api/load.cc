// Load generator and anchor responder of the API benchmark (see load.h).
#include "load.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace spacelet::bench {
namespace {

using Clock = std::chrono::steady_clock;

sockaddr_un address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  return addr;
}

struct Conn {
  int fd = -1;
  std::string in;
  Clock::time_point sent;
};

// Length of one complete response at the start of `in` (Content-Length framing), or 0.
size_t completeResponse(const std::string& in, int& status) {
  size_t head = in.find("\r\n\r\n");
  if (head == std::string::npos) return 0;
  status = std::atoi(in.c_str() + 9);
  size_t cl = in.find("Content-Length: ");
  if (cl == std::string::npos || cl > head) cl = in.find("content-length: ");
  if (cl == std::string::npos || cl > head) return head + 4;
  size_t length = std::strtoul(in.c_str() + cl + 16, nullptr, 10);
  return in.size() >= head + 4 + length ? head + 4 + length : 0;
}

void sendRequest(Conn& c, const std::string& path) {
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
  c.sent = Clock::now();
  if (::send(c.fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
    throw std::runtime_error("send failed");
}

}  // namespace

double LoadResult::percentile(double p) const {
  if (latenciesMs.empty()) return 0;
  std::vector<double> sorted = latenciesMs;
  std::sort(sorted.begin(), sorted.end());
  size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p / 100.0 * sorted.size()));
  return sorted[i];
}

LoadResult runLoad(const std::string& socket, int clients, std::chrono::milliseconds duration,
                   const std::function<std::string(uint64_t)>& pathFor) {
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<Conn> conns(static_cast<size_t>(clients));
  uint64_t next = 0;
  LoadResult result;
  result.latenciesMs.reserve(1 << 20);
  sockaddr_un addr = address(socket);
  for (size_t i = 0; i < conns.size(); ++i) {
    conns[i].fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(conns[i].fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("connect " + socket + ": " + std::strerror(errno));
    epoll_event ev{EPOLLIN, {.u64 = i}};
    ::epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
  }
  auto start = Clock::now();
  auto end = start + duration;
  for (auto& c : conns) sendRequest(c, pathFor(next++));
  epoll_event events[64];
  char buf[65536];
  while (Clock::now() < end) {
    int n = ::epoll_wait(ep, events, 64, 100);
    for (int e = 0; e < n; ++e) {
      Conn& c = conns[events[e].data.u64];
      ssize_t got = ::recv(c.fd, buf, sizeof buf, 0);
      if (got <= 0) throw std::runtime_error("the server closed a connection");
      c.in.append(buf, static_cast<size_t>(got));
      int status = 0;
      for (size_t len; (len = completeResponse(c.in, status)) > 0;) {
        c.in.erase(0, len);
        result.latenciesMs.push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - c.sent).count());
        ++result.requests;
        if (status != 200) ++result.errors;
        if (Clock::now() < end) sendRequest(c, pathFor(next++));
      }
    }
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& c : conns) ::close(c.fd);
  ::close(ep);
  return result;
}

struct Responder::State {
  int listenFd = -1;
  int ep = -1;
  std::atomic<bool> stop{false};
  std::string response;
  std::thread thread;
};

Responder::Responder(const std::string& socket, std::string body) : state_(new State) {
  state_->response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body;
  state_->listenFd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un addr = address(socket);
  ::unlink(socket.c_str());
  if (::bind(state_->listenFd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(state_->listenFd, 128) != 0)
    throw std::runtime_error("anchor: bind " + socket);
  state_->ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{EPOLLIN, {.fd = state_->listenFd}};
  ::epoll_ctl(state_->ep, EPOLL_CTL_ADD, state_->listenFd, &ev);
  state_->thread = std::thread([s = state_] {
    epoll_event events[64];
    char buf[65536];
    std::vector<std::string> pending(65536);
    while (!s->stop) {
      int n = ::epoll_wait(s->ep, events, 64, 100);
      for (int e = 0; e < n; ++e) {
        int fd = events[e].data.fd;
        if (fd == s->listenFd) {
          for (int c;
               (c = ::accept4(s->listenFd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0;) {
            epoll_event cev{EPOLLIN, {.fd = c}};
            ::epoll_ctl(s->ep, EPOLL_CTL_ADD, c, &cev);
          }
          continue;
        }
        ssize_t got = ::recv(fd, buf, sizeof buf, 0);
        if (got <= 0) {
          ::close(fd);
          continue;
        }
        std::string& in = pending[static_cast<size_t>(fd) % pending.size()];
        in.append(buf, static_cast<size_t>(got));
        for (size_t end; (end = in.find("\r\n\r\n")) != std::string::npos;) {
          in.erase(0, end + 4);
          (void)!::send(fd, s->response.data(), s->response.size(), MSG_NOSIGNAL);
        }
      }
    }
  });
}

void Responder::stop() {
  if (state_->stop.exchange(true)) return;
  state_->thread.join();
  ::close(state_->ep);
  ::close(state_->listenFd);
}

Responder::~Responder() {
  stop();
  delete state_;
}

}  // namespace spacelet::bench
