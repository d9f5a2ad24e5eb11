// spacectl's HTTP client: libcurl over the agent's Unix socket (CURLOPT_UNIX_SOCKET_PATH).
// Plain requests return the status and body; streams deliver one line at a time until the
// server ends them, the callback says stop, or a deadline passes.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "spacelet/base/error.h"

namespace spacelet::agent::cli {

struct HttpResult {
  long status = 0;
  std::string body;
};

// Errors: ECONNREFUSED/ENOENT when the agent cannot be reached, ETIMEDOUT past a deadline.
class Client {
 public:
  explicit Client(std::string socketPath);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Result<HttpResult> request(const std::string& method, const std::string& path,
                             const std::string& body = "");
  // Calls onLine for every line of a streamed response (without its newline); onLine returns
  // false to stop. Non-2xx answers are returned whole instead, for the caller to report.
  using LineHandler = std::function<bool(const std::string& line)>;
  Result<HttpResult> stream(const std::string& path, const LineHandler& onLine,
                            std::optional<std::chrono::steady_clock::time_point> deadline);
  // The same for a request with a method and a JSON body (long jobs that stream progress).
  Result<HttpResult> stream(const std::string& method, const std::string& path,
                            const std::string& body, const LineHandler& onLine);

  const std::string& socketPath() const { return socketPath_; }

 private:
  void* prepare(const std::string& method, const std::string& path);
  // Runs the prepared transfer, handing complete lines to onLine.
  Result<HttpResult> performStream(const std::string& path, const LineHandler& onLine,
                                   std::optional<std::chrono::steady_clock::time_point> deadline);
  Error transportError(int code, const std::string& path) const;

  std::string socketPath_;
  void* curl_ = nullptr;
};

// Percent-encodes one path segment (an author, a name, a key).
std::string escapeSegment(const std::string& segment);

}  // namespace spacelet::agent::cli
