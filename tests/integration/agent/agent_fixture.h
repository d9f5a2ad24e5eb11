// Test support for running the real spaceletd: an AgentInstance owns a temp directory with its
// own config, state dir, node key and socket, starts the built binary (through the agent's own
// spawn utility) with a NOTIFY_SOCKET the test reads READY/STATUS/WATCHDOG from, and can stop
// it with SIGTERM, kill -9 it, and start it again on the same state. HttpClient speaks raw
// HTTP/1.1 over the Unix socket, so tests control every byte of the path and body.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/process/spawn.h"
#include "test_env.h"

namespace spacelet::agent::testing {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  nlohmann::json json() const;
  std::string errorMessage() const;  // error.message of an error body
};

// Sends one request on a fresh connection and reads the whole reply (chunked or not).
HttpReply httpRequest(const std::string& socket, const std::string& method, const std::string& path,
                      const std::string& body = "",
                      const std::vector<std::string>& extraHeaders = {});
// Reads from `fd` until the peer closes or `timeout` passes; returns what came back.
std::string readUntilClose(int fd, std::chrono::milliseconds timeout);
// Sends raw bytes and reads until the server closes or `timeout`; returns what came back.
std::string rawExchange(const std::string& socket, const std::string& bytes,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));

// An open streaming response (follow): lines are read as they arrive.
class HttpStream {
 public:
  HttpStream(const std::string& socket, const std::string& path, const std::string& accept = "");
  ~HttpStream();
  int status() const { return status_; }
  // The next line of the body (chunk framing removed), or nullopt at the timeout or end.
  std::optional<std::string> nextLine(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Lines until one contains `needle` (returned), skipping empty keep-alives unless asked.
  std::optional<std::string> lineContaining(
      const std::string& needle, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool ended() const { return ended_; }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);
  bool decodeChunks();
  int fd_ = -1;
  int status_ = 0;
  std::string raw_;   // bytes not yet de-chunked
  std::string body_;  // de-chunked bytes not yet returned as lines
  bool ended_ = false;
};

class AgentInstance {
 public:
  // extraConfig is YAML appended to the generated config (its own top-level sections).
  explicit AgentInstance(const std::string& extraConfig = "", const std::string& pathsExtra = "");
  ~AgentInstance();

  // Starts spaceletd and waits for READY=1. Returns "" or why it failed (with its log).
  std::string start(const std::vector<std::string>& extraEnv = {});
  // SIGTERM and wait; returns the exit status as a shell reports it.
  int stop();
  // SIGKILL and reap.
  void kill9();
  bool running() const { return child_.has_value(); }
  pid_t pid() const { return child_ ? child_->pid() : -1; }
  // Runs spaceletd to completion (for start-up errors); returns status and log.
  spacelet::testing::CommandResult runToExit(const std::vector<std::string>& args);

  const std::string& dir() const { return dir_.path(); }
  std::string socket() const { return dir_ / "run/api.sock"; }
  std::string stateDir() const { return dir_ / "state"; }
  std::string configPath() const { return dir_ / "config.yaml"; }
  std::string logPath() const { return dir_ / "agent.log"; }
  std::string log() const;
  void writeConfig(const std::string& extraConfig, const std::string& pathsExtra = "");

  // Messages received on NOTIFY_SOCKET so far (each datagram one entry).
  std::vector<std::string> notifications(
      std::chrono::milliseconds wait = std::chrono::milliseconds(0));

  HttpReply call(const std::string& method, const std::string& path,
                 const std::string& body = "") const {
    return httpRequest(socket(), method, path, body);
  }

 private:
  spacelet::testing::TempDir dir_;
  std::string cgroup_;  // pure cgroup v2: the agent's own cgroup (under /sys/fs/cgroup)
  int notifyFd_ = -1;
  std::optional<process::Child> child_;
  std::vector<std::string> received_;
};

std::string spaceletdPath();
std::string spacectlPath();

}  // namespace spacelet::agent::testing
