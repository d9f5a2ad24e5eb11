// spacelet-proxy's server: accepts on the node's listen addresses, reads each connection's
// request head, picks the backend by its Host header from the routes file, connects (from the
// backend network namespace when one is given: the node namespace that holds the Spaces'
// veths) and relays bytes both ways until both sides are done. One epoll loop, one thread,
// non-blocking sockets. A route change affects new connections only, so requests in flight
// finish on the deployment that took them: this is what makes a switch lose nothing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/proxy/routes.h"
#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::agent::proxy {

struct ProxyOptions {
  std::vector<std::string> listen;  // "127.0.0.1:8000", "[::1]:8000"
  std::string routesFile;
  std::string ackFile;       // default: <routes>.ack
  std::string backendNetns;  // a netns file to connect from; empty: the proxy's own
  size_t maxHeadBytes = 16 * 1024;
  size_t bufferBytes = 64 * 1024;
  int connectTimeoutMs = 5000;
};

class ProxyServer {
 public:
  static Result<std::unique_ptr<ProxyServer>> create(ProxyOptions options);
  ~ProxyServer();
  // Serves until a fatal error. SIGTERM/SIGINT end it (returns 0).
  Result<int> run();

  struct Connection;

 private:
  explicit ProxyServer(ProxyOptions options) : options_(std::move(options)) {}
  Result<void> openListeners();
  Result<void> enterBackendNetns();
  Result<void> watchRoutes();
  void reloadRoutes();
  void accept(int listenFd);
  void onEvent(Connection& c, int fd, uint32_t events);
  void route(Connection& c);
  void connected(Connection& c);
  void relay(Connection& c);
  void respond(Connection& c, int status, const std::string& text);
  void close(Connection& c);
  void updateInterest(Connection& c);

  ProxyOptions options_;
  UniqueFd epoll_;
  UniqueFd inotify_;
  UniqueFd signals_;
  std::vector<UniqueFd> listeners_;
  Routes routes_;
  std::map<int, std::shared_ptr<Connection>> byFd_;
};

// "127.0.0.1:8000" or "[::1]:8000" into a sockaddr; pure.
struct ListenAddress {
  int family = 0;
  std::string host;
  uint16_t port = 0;
};
Result<ListenAddress> parseListenAddress(const std::string& text);

// Whether a batch of inotify events read from the routes file's directory calls for a reload:
// an event for `routesName` (the file's name in it) or lost events (IN_Q_OVERFLOW). The
// proxy's own acknowledgement is written in the same directory; reloading on it wrote the ack
// again, which was the next event: an endless reload loop. Pure.
bool routesChanged(std::string_view events, std::string_view routesName);

}  // namespace spacelet::agent::proxy
