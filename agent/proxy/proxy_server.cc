// The proxy's epoll loop: listeners, routes reload through inotify, and per-connection relay
// (see proxy_server.h).
#include "agent/proxy/proxy_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "agent/proxy/http_head.h"
#include "spacelet/base/file_io.h"
#include "spacelet/base/log.h"

namespace spacelet::agent::proxy {

struct ProxyServer::Connection {
  UniqueFd client;
  UniqueFd backend;
  std::string head;       // the request head, until routed
  std::string toBackend;  // bytes read from the client, not yet written
  std::string toClient;
  bool routed = false;
  bool connecting = false;
  bool clientEof = false;   // the client sent everything
  bool backendEof = false;  // the backend sent everything
  bool closing = false;     // a local response is being written; close when flushed
};

namespace {

constexpr uint64_t kListenTag = 1ull << 62;

Result<UniqueFd> socketFor(int family) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return failErrno(errno, "socket");
  return UniqueFd(fd);
}

// Fills a sockaddr for "ip:port"; false when it is not one.
bool toSockaddr(const std::string& text, sockaddr_storage& ss, socklen_t& len) {
  auto address = parseListenAddress(text);
  if (!address) return false;
  std::memset(&ss, 0, sizeof ss);
  if (address->family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(address->port);
    if (::inet_pton(AF_INET, address->host.c_str(), &sin->sin_addr) != 1) return false;
    len = sizeof *sin;
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(address->port);
    if (::inet_pton(AF_INET6, address->host.c_str(), &sin6->sin6_addr) != 1) return false;
    len = sizeof *sin6;
  }
  return true;
}

std::string statusText(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Bad Gateway";
  }
}

}  // namespace

Result<ListenAddress> parseListenAddress(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 >= text.size()) {
    return failInvalid("listen address '" + text + "' needs a port, like '127.0.0.1:8000'");
  }
  ListenAddress a;
  a.host = text.substr(0, colon);
  if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']') {
    a.host = a.host.substr(1, a.host.size() - 2);
    a.family = AF_INET6;
  } else {
    a.family = AF_INET;
  }
  unsigned long port = 0;
  try {
    port = std::stoul(text.substr(colon + 1));
  } catch (const std::exception&) {
  }
  if (port == 0 || port > 65535) return failInvalid("listen address '" + text + "': bad port");
  a.port = static_cast<uint16_t>(port);
  unsigned char buf[16];
  if (::inet_pton(a.family, a.host.c_str(), buf) != 1) {
    return failInvalid("listen address '" + text + "': '" + a.host + "' is not an IP address");
  }
  return a;
}

Result<std::unique_ptr<ProxyServer>> ProxyServer::create(ProxyOptions options) {
  if (options.ackFile.empty()) options.ackFile = options.routesFile + ".ack";
  std::unique_ptr<ProxyServer> server(new ProxyServer(std::move(options)));
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return failErrno(errno, "epoll_create1");
  server->epoll_.reset(ep);
  SPACELET_TRY(server->openListeners());
  SPACELET_TRY(server->enterBackendNetns());
  SPACELET_TRY(server->watchRoutes());
  server->reloadRoutes();
  return server;
}

ProxyServer::~ProxyServer() = default;

Result<void> ProxyServer::openListeners() {
  for (const auto& text : options_.listen) {
    if (auto parsed = parseListenAddress(text); !parsed) return fail(std::move(parsed).error());
    sockaddr_storage ss;
    socklen_t len = 0;
    toSockaddr(text, ss, len);
    auto fd = socketFor(ss.ss_family);
    if (!fd) return fail(std::move(fd).error());
    int one = 1;
    ::setsockopt(fd->get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd->get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      return failErrno(errno, "bind '" + text + "' (is another proxy running?)");
    }
    if (::listen(fd->get(), 1024) != 0) return failErrno(errno, "listen on '" + text + "'");
    epoll_event ev{EPOLLIN, {.u64 = kListenTag | static_cast<uint64_t>(fd->get())}};
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd->get(), &ev) != 0) {
      return failErrno(errno, "epoll_ctl");
    }
    listeners_.push_back(std::move(*fd));
  }
  if (listeners_.empty()) return failInvalid("give at least one --listen address");
  return {};
}

// Sockets keep the namespace they were made in: the listeners stay on the node's network,
// backend connections are made from here on in the Spaces' namespace.
Result<void> ProxyServer::enterBackendNetns() {
  if (options_.backendNetns.empty()) return {};
  auto ns = openAt(AT_FDCWD, options_.backendNetns, O_RDONLY);
  if (!ns) return fail(std::move(ns).error());
  if (::setns(ns->get(), CLONE_NEWNET) != 0) {
    return failErrno(errno, "join network namespace '" + options_.backendNetns + "'");
  }
  return {};
}

Result<void> ProxyServer::watchRoutes() {
  int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0) return failErrno(errno, "inotify_init1");
  inotify_.reset(fd);
  std::string dir = std::filesystem::path(options_.routesFile).parent_path();
  if (::inotify_add_watch(fd, dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    return failErrno(errno, "watch '" + dir + "'");
  }
  epoll_event ev{EPOLLIN, {.u64 = kListenTag | (1ull << 61)}};
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return failErrno(errno, "epoll_ctl");
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, sig);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  int sfd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) return failErrno(errno, "signalfd");
  signals_.reset(sfd);
  epoll_event sev{EPOLLIN, {.u64 = kListenTag | (1ull << 60)}};
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, sfd, &sev) != 0)
    return failErrno(errno, "epoll_ctl");
  return {};
}

bool routesChanged(std::string_view events, std::string_view routesName) {
  size_t at = 0;
  while (at + sizeof(inotify_event) <= events.size()) {
    inotify_event event;
    std::memcpy(&event, events.data() + at, sizeof event);
    if (event.mask & IN_Q_OVERFLOW) return true;
    size_t nameAt = at + sizeof event;
    if (event.len > 0 && nameAt + event.len <= events.size()) {
      // The name is padded with NULs to its record's length.
      std::string_view name(events.data() + nameAt, event.len);
      if (name.substr(0, name.find('\0')) == routesName) return true;
    }
    at = nameAt + event.len;
  }
  return false;
}

void ProxyServer::reloadRoutes() {
  auto routes = readRoutes(options_.routesFile);
  if (!routes) {
    if (routes.error().code != ENOENT) log::warning(routes.error().message);
    return;
  }
  routes_ = std::move(*routes);
  if (auto ok = writeAck(options_.ackFile, routes_.generation); !ok) {
    log::warning(ok.error().message);
  }
}

Result<int> ProxyServer::run() {
  const std::string routesName = std::filesystem::path(options_.routesFile).filename();
  epoll_event events[64];
  for (;;) {
    int n = ::epoll_wait(epoll_.get(), events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return failErrno(errno, "epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag == (kListenTag | (1ull << 60))) {
        signalfd_siginfo info;
        while (::read(signals_.get(), &info, sizeof info) == sizeof info) {
          if (info.ssi_signo != SIGHUP) return 0;
          reloadRoutes();
        }
      } else if (tag == (kListenTag | (1ull << 61))) {
        alignas(inotify_event) char buf[4096];
        bool changed = false;
        for (ssize_t got; (got = ::read(inotify_.get(), buf, sizeof buf)) > 0;) {
          changed |= routesChanged(std::string_view(buf, static_cast<size_t>(got)), routesName);
        }
        if (changed) reloadRoutes();
      } else if (tag & kListenTag) {
        accept(static_cast<int>(tag & 0xffffffff));
      } else {
        int fd = static_cast<int>(tag);
        auto it = byFd_.find(fd);
        if (it == byFd_.end()) continue;
        auto keep = it->second;  // alive through the handler even if it closes
        onEvent(*keep, fd, events[i].events);
      }
    }
  }
}

void ProxyServer::accept(int listenFd) {
  for (;;) {
    int fd = ::accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;  // EAGAIN, or a transient error (EMFILE): try on the next event
    auto c = std::make_shared<Connection>();
    c->client.reset(fd);
    byFd_[fd] = c;
    epoll_event ev{EPOLLIN | EPOLLRDHUP, {.u64 = static_cast<uint64_t>(fd)}};
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
  }
}

void ProxyServer::onEvent(Connection& c, int fd, uint32_t events) {
  if (fd == c.backend.get() && c.connecting) {
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) connected(c);
    return;
  }
  if (!c.routed && fd == c.client.get()) {
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) {
      if (n < 0 && errno == EAGAIN) return;
      return close(c);
    }
    c.head.append(buf, static_cast<size_t>(n));
    return route(c);
  }
  relay(c);
}

void ProxyServer::route(Connection& c) {
  auto length = headLength(c.head);
  if (!length) {
    if (c.head.size() > options_.maxHeadBytes) respond(c, 431, "request head too large\n");
    return;
  }
  auto host = hostHeader(std::string_view(c.head).substr(0, *length));
  if (!host) return respond(c, 400, "spacelet: the request has no Host header\n");
  auto backend = lookup(routes_, *host);
  if (!backend) {
    return respond(c, 404, "spacelet: no Space is served at '" + normalizeHost(*host) + "'\n");
  }
  sockaddr_storage ss;
  socklen_t len = 0;
  if (!toSockaddr(*backend, ss, len)) return respond(c, 502, "spacelet: bad backend\n");
  auto fd = socketFor(ss.ss_family);
  if (!fd) return respond(c, 502, "spacelet: " + fd.error().message + "\n");
  int rc = ::connect(fd->get(), reinterpret_cast<sockaddr*>(&ss), len);
  if (rc != 0 && errno != EINPROGRESS) {
    return respond(c, 502, "spacelet: the Space's app is not reachable\n");
  }
  c.routed = true;
  c.connecting = true;
  c.toBackend = std::move(c.head);
  c.backend = std::move(*fd);
  byFd_[c.backend.get()] = byFd_[c.client.get()];
  epoll_event ev{EPOLLOUT, {.u64 = static_cast<uint64_t>(c.backend.get())}};
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c.backend.get(), &ev);
  epoll_event none{0, {.u64 = static_cast<uint64_t>(c.client.get())}};
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.client.get(), &none);
}

void ProxyServer::connected(Connection& c) {
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(c.backend.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    byFd_.erase(c.backend.get());
    c.backend.reset();
    c.routed = false;
    return respond(
        c, 502,
        std::string("spacelet: the Space's app is not reachable: ") + std::strerror(err) + "\n");
  }
  c.connecting = false;
  relay(c);
}

// Moves what can move in both directions, then asks epoll for what is needed next.
void ProxyServer::relay(Connection& c) {
  auto pump = [this](int from, int to, std::string& buf, bool& eof) {
    while (!eof && buf.size() < options_.bufferBytes) {
      char tmp[16384];
      ssize_t n = ::read(from, tmp, sizeof tmp);
      if (n > 0) {
        buf.append(tmp, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        eof = true;
      } else {
        break;
      }
    }
    while (!buf.empty()) {
      ssize_t n = ::send(to, buf.data(), buf.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      buf.erase(0, static_cast<size_t>(n));
    }
    if (eof && buf.empty()) ::shutdown(to, SHUT_WR);
  };
  if (!c.closing) {
    pump(c.client.get(), c.backend.get(), c.toBackend, c.clientEof);
    pump(c.backend.get(), c.client.get(), c.toClient, c.backendEof);
  }
  if (c.clientEof && c.backendEof && c.toBackend.empty() && c.toClient.empty()) return close(c);
  updateInterest(c);
}

void ProxyServer::updateInterest(Connection& c) {
  const uint32_t in = EPOLLIN, out = EPOLLOUT, none = 0;
  uint32_t clientEvents = (c.clientEof || c.toBackend.size() >= options_.bufferBytes ? none : in) |
                          (c.toClient.empty() ? none : out);
  uint32_t backendEvents = (c.backendEof || c.toClient.size() >= options_.bufferBytes ? none : in) |
                           (c.toBackend.empty() ? none : out);
  epoll_event ce{clientEvents, {.u64 = static_cast<uint64_t>(c.client.get())}};
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.client.get(), &ce);
  epoll_event be{backendEvents, {.u64 = static_cast<uint64_t>(c.backend.get())}};
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.backend.get(), &be);
}

void ProxyServer::respond(Connection& c, int status, const std::string& text) {
  std::string response = "HTTP/1.1 " + std::to_string(status) + " " + statusText(status) +
                         "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                         std::to_string(text.size()) + "\r\nConnection: close\r\n\r\n" + text;
  // Small enough for the socket buffer of a fresh connection; a client that does not read
  // it loses it.
  (void)!::send(c.client.get(), response.data(), response.size(), MSG_NOSIGNAL);
  close(c);
}

void ProxyServer::close(Connection& c) {
  if (c.client) byFd_.erase(c.client.get());
  if (c.backend) byFd_.erase(c.backend.get());
  // Closing the fds removes them from the epoll set.
  c.client.reset();
  c.backend.reset();
}

}  // namespace spacelet::agent::proxy
