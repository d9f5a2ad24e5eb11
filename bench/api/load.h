// The API benchmark's load generator and anchor: N keep-alive HTTP/1.1 clients on one Unix
// socket driven by one epoll loop, each sending its next request as soon as the previous answer
// is complete, with every request's latency recorded; and a minimal single-threaded responder
// that answers every request with a fixed body (the ceiling this machine allows a
// single-threaded server, measured in the same run).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace spacelet::bench {

struct LoadResult {
  uint64_t requests = 0;
  uint64_t errors = 0;  // non-200 answers or broken connections
  double seconds = 0;
  std::vector<double> latenciesMs;
  double perSecond() const { return seconds > 0 ? requests / seconds : 0; }
  double percentile(double p) const;
};

// Runs `clients` connections for `duration`; pathFor(i) gives the i-th request's path.
LoadResult runLoad(const std::string& socket, int clients, std::chrono::milliseconds duration,
                   const std::function<std::string(uint64_t)>& pathFor);

// A fixed-response HTTP server on `socket` until stop() (runs in its own thread).
class Responder {
 public:
  Responder(const std::string& socket, std::string body);
  ~Responder();
  void stop();

 private:
  struct State;
  State* state_;
};

}  // namespace spacelet::bench
