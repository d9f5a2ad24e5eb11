// The API's HTTP/1.1 server: libmicrohttpd driven from the sd-event loop (MHD's epoll fd is one
// IO source; MHD_get_timeout arms one timer), on a listening Unix socket that spaceletd bound
// or systemd passed (socket activation). It reads each caller's SO_PEERCRED at connect time,
// enforces the request body limit (413), and streams StreamBody responses by suspending the
// connection while a stream has nothing to send, so the loop never blocks on a client.
// Thread-safety: the event loop thread only.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <set>

#include "agent/api/http.h"
#include "agent/daemon/event_loop.h"
#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace spacelet::agent::api {

struct ServerOptions {
  uint64_t maxBodyBytes = 1024 * 1024;
  unsigned maxConnections = 512;
  unsigned idleTimeoutSeconds = 60;
  std::chrono::seconds streamHeartbeat{15};
};

using Handler = std::function<Response(Request&)>;

// libmicrohttpd's content reader and its release callback for StreamBody responses.
ssize_t readStreamBody(void* cls, uint64_t pos, char* buf, size_t max);
void freeStreamBody(void* cls);

class HttpServer {
 public:
  // Takes ownership of a listening SOCK_STREAM socket.
  static Result<std::unique_ptr<HttpServer>> start(daemon::EventLoop& loop, UniqueFd listenFd,
                                                   ServerOptions options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Live settings (SIGHUP).
  void setMaxBodyBytes(uint64_t bytes) { options_.maxBodyBytes = bytes; }
  void setStreamHeartbeat(std::chrono::seconds every);

  // SIGTERM, step 1: close the listening socket; connections in progress continue.
  void stopAccepting();
  // SIGTERM, step 2: end every stream after what it has buffered.
  void finishStreams();
  size_t openConnections() const { return connections_; }
  size_t activeStreams() const { return streams_.size(); }

  // Internal, used by MHD's C callbacks.
  // A streamed response: suspended while its body has nothing to send.
  struct StreamState {
    std::shared_ptr<StreamBody> body;
    MHD_Connection* connection = nullptr;
    HttpServer* server = nullptr;
    bool suspended = false;
    bool open = true;
    // While suspended, MHD does not watch the socket: this notices a client that hung up.
    daemon::Source hangup;
  };
  // One request in progress: its body so far.
  struct RequestState {
    std::string body;
    bool tooLarge = false;
    std::shared_ptr<StreamState> stream;
  };
  void runMhd();
  void onConnectionOpened(void** socketContext, MHD_Connection* connection);
  void onConnectionClosed(void** socketContext);
  int onAccess(MHD_Connection* connection, const char* url, const char* method,
               const char* uploadData, size_t* uploadSize, void** requestContext);
  void onCompleted(void** requestContext);
  // The stream's connection was just suspended: resume it if the client hangs up meanwhile.
  void watchHangup(const std::shared_ptr<StreamState>& state);

 private:
  HttpServer(daemon::EventLoop& loop, ServerOptions options, Handler handler)
      : loop_(loop), options_(options), handler_(std::move(handler)) {}
  Result<void> startMhd(int listenFd);
  Result<void> hookIntoLoop();
  void updateTimeout();
  // Runs MHD on the next loop iteration: a resumed connection is only picked up by a later
  // MHD_run, and nothing else may wake the loop for it.
  void scheduleRun();
  int queue(MHD_Connection* connection, Response response, RequestState& request);
  void heartbeat();

  daemon::EventLoop& loop_;
  ServerOptions options_;
  Handler handler_;
  MHD_Daemon* mhd_ = nullptr;
  daemon::Source ioSource_;
  daemon::Source timer_;
  daemon::Source heartbeatTimer_;
  daemon::Source runSoon_;
  std::set<StreamState*> streams_;
  size_t connections_ = 0;
  bool accepting_ = true;
};

}  // namespace spacelet::agent::api
