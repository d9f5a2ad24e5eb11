// libmicrohttpd on sd-event (see http_server.h). MHD runs in "external epoll" mode: its epoll fd
// is watched by the loop and MHD_run() does the work; MHD_get_timeout() arms a timer. The path
// is handed to the router undecoded (an identity unescaper), so "%2F" or "%00" in a Space
// name is seen and refused instead of being decoded into a different path.
#include "agent/api/http_server.h"

#include <microhttpd.h>
#include <sys/socket.h>

#include <cstdarg>
#include <cstring>

#include "spacelet/base/log.h"

namespace spacelet::agent::api {

namespace {

Peer readPeer(int fd) {
  Peer peer;
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return peer;
  peer = Peer{true, cred.pid, cred.uid, cred.gid, {}};
  std::vector<gid_t> groups(64);
  len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) != 0 && errno == ERANGE) {
    groups.resize(len / sizeof(gid_t));
    len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) != 0) len = 0;
  }
  groups.resize(len / sizeof(gid_t));
  peer.groups = std::move(groups);
  return peer;
}

size_t keepEscaped(void*, MHD_Connection*, char* s) {
  return std::strlen(s);
}

void logMhd(void*, const char* format, va_list args) {
  char buf[512];
  std::vsnprintf(buf, sizeof buf, format, args);
  std::string line(buf);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  log::debug("http: " + line);
}

}  // namespace

ssize_t readStreamBody(void* cls, uint64_t, char* buf, size_t max) {
  auto& state = *static_cast<std::shared_ptr<HttpServer::StreamState>*>(cls);
  if (!state->open) return MHD_CONTENT_READER_END_WITH_ERROR;
  ssize_t n = state->body->take(buf, max);
  if (n > 0) return n;
  if (n < 0) return MHD_CONTENT_READER_END_OF_STREAM;
  // Nothing to send: park the connection until the body wakes it (no busy loop).
  state->suspended = true;
  MHD_suspend_connection(state->connection);
  state->server->watchHangup(state);
  return 0;
}

void freeStreamBody(void* cls) {
  delete static_cast<std::shared_ptr<HttpServer::StreamState>*>(cls);
}

namespace {

MHD_Result accessTrampoline(void* cls, MHD_Connection* c, const char* url, const char* method,
                            const char*, const char* upload, size_t* uploadSize, void** ctx) {
  return static_cast<MHD_Result>(
      static_cast<HttpServer*>(cls)->onAccess(c, url, method, upload, uploadSize, ctx));
}

void completedTrampoline(void* cls, MHD_Connection*, void** ctx, MHD_RequestTerminationCode) {
  static_cast<HttpServer*>(cls)->onCompleted(ctx);
}

void connectionTrampoline(void* cls, MHD_Connection* c, void** socketContext,
                          MHD_ConnectionNotificationCode code) {
  auto* server = static_cast<HttpServer*>(cls);
  if (code == MHD_CONNECTION_NOTIFY_STARTED)
    server->onConnectionOpened(socketContext, c);
  else
    server->onConnectionClosed(socketContext);
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(daemon::EventLoop& loop, UniqueFd listenFd,
                                                      ServerOptions options, Handler handler) {
  std::unique_ptr<HttpServer> server(new HttpServer(loop, options, std::move(handler)));
  int flags = ::fcntl(listenFd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(listenFd.get(), F_SETFL, flags | O_NONBLOCK) != 0)
    return failErrno(errno, "make the API socket non-blocking");
  SPACELET_TRY(server->startMhd(listenFd.get()));
  listenFd.release();  // MHD owns it now (closed by MHD_stop_daemon or after quiesce)
  SPACELET_TRY(server->hookIntoLoop());
  return server;
}

Result<void> HttpServer::startMhd(int listenFd) {
  unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
  mhd_ = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &accessTrampoline, this, MHD_OPTION_LISTEN_SOCKET, listenFd,
      MHD_OPTION_CONNECTION_LIMIT, options_.maxConnections, MHD_OPTION_CONNECTION_TIMEOUT,
      options_.idleTimeoutSeconds, MHD_OPTION_NOTIFY_COMPLETED, &completedTrampoline, this,
      MHD_OPTION_NOTIFY_CONNECTION, &connectionTrampoline, this, MHD_OPTION_UNESCAPE_CALLBACK,
      &keepEscaped, nullptr, MHD_OPTION_EXTERNAL_LOGGER, &logMhd, nullptr, MHD_OPTION_END);
  if (!mhd_) return fail(Error{EIO, "start the HTTP server (libmicrohttpd)"});
  return {};
}

Result<void> HttpServer::hookIntoLoop() {
  const MHD_DaemonInfo* info = MHD_get_daemon_info(mhd_, MHD_DAEMON_INFO_EPOLL_FD);
  if (!info) return fail(Error{EIO, "libmicrohttpd has no epoll fd"});
  auto io = loop_.addIo(info->epoll_fd, EPOLLIN, [this](uint32_t) { runMhd(); });
  if (!io) return fail(std::move(io).error());
  ioSource_ = std::move(*io);
  auto timer = loop_.addTimer(std::chrono::seconds(1), [this] { runMhd(); });
  if (!timer) return fail(std::move(timer).error());
  timer_ = std::move(*timer);
  auto beat = loop_.addTimer(options_.streamHeartbeat, [this] { heartbeat(); });
  if (!beat) return fail(std::move(beat).error());
  heartbeatTimer_ = std::move(*beat);
  updateTimeout();
  return {};
}

void HttpServer::runMhd() {
  MHD_run(mhd_);
  updateTimeout();
}

void HttpServer::scheduleRun() {
  if (runSoon_.valid()) {
    (void)runSoon_.rearm(std::chrono::microseconds(0));
    return;
  }
  auto timer = loop_.addTimer(std::chrono::microseconds(0), [this] { runMhd(); });
  if (timer) runSoon_ = std::move(*timer);
}

void HttpServer::updateTimeout() {
  MHD_UNSIGNED_LONG_LONG ms = 0;
  if (MHD_get_timeout(mhd_, &ms) == MHD_YES) {
    (void)timer_.rearm(std::chrono::milliseconds(ms));
  } else {
    (void)timer_.disable();
  }
}

void HttpServer::heartbeat() {
  for (StreamState* s : streams_) s->body->heartbeatIfIdle(options_.streamHeartbeat);
  (void)heartbeatTimer_.rearm(options_.streamHeartbeat);
}

void HttpServer::watchHangup(const std::shared_ptr<StreamState>& state) {
  state->hangup.reset();  // never two sources on one fd
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(state->connection, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (!info) return;
  std::weak_ptr<StreamState> weak = state;
  auto source = loop_.addIo(info->connect_fd, EPOLLRDHUP, [this, weak](uint32_t) {
    auto s = weak.lock();
    if (!s || !s->open || !s->suspended) return;
    (void)s->hangup.disable();  // not reset: this very callback belongs to it
    s->suspended = false;
    MHD_resume_connection(s->connection);  // MHD sees the hang-up and closes it
    scheduleRun();
  });
  if (source) state->hangup = std::move(*source);  // else the heartbeat finds the hang-up
}

void HttpServer::setStreamHeartbeat(std::chrono::seconds every) {
  options_.streamHeartbeat = every;
  (void)heartbeatTimer_.rearm(every);
}

HttpServer::~HttpServer() {
  if (!mhd_) return;
  // MHD must not be stopped with suspended connections: resume them, and end their streams.
  for (StreamState* s : streams_) {
    s->open = false;
    s->body->detach();
    s->hangup.reset();
    if (s->suspended) {
      s->suspended = false;
      MHD_resume_connection(s->connection);
    }
  }
  MHD_stop_daemon(mhd_);
}

void HttpServer::stopAccepting() {
  if (!accepting_ || !mhd_) return;
  accepting_ = false;
  MHD_socket fd = MHD_quiesce_daemon(mhd_);
  if (fd != MHD_INVALID_SOCKET) ::close(fd);
}

void HttpServer::finishStreams() {
  for (StreamState* s : streams_) s->body->finish();
}

void HttpServer::onConnectionOpened(void** socketContext, MHD_Connection* connection) {
  ++connections_;
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
  *socketContext = new Peer(info ? readPeer(info->connect_fd) : Peer{});
}

void HttpServer::onConnectionClosed(void** socketContext) {
  --connections_;
  delete static_cast<Peer*>(*socketContext);
  *socketContext = nullptr;
}

void HttpServer::onCompleted(void** requestContext) {
  auto* request = static_cast<RequestState*>(*requestContext);
  *requestContext = nullptr;
  if (!request) return;
  if (request->stream) {
    request->stream->open = false;
    request->stream->body->detach();
    request->stream->hangup.reset();
    streams_.erase(request->stream.get());
  }
  delete request;
}

}  // namespace spacelet::agent::api
