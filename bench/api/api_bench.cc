// spaceletd API benchmark. Starts the real agent in a temp directory, registers Spaces through
// the API, and measures:
//   - idle RSS with 0 and with N Spaces (target: < 30 MiB at 1 000);
//   - GET /v1/spaces/{id} from C concurrent keep-alive clients on the Unix socket (targets:
//     >= 5 000 requests/s, p99 < 5 ms), next to the anchor: the same load against a minimal
//     fixed-response server with the same body, in the same run, so figures read as ratios.
//   api_bench [--spaces 1000] [--clients 50] [--seconds 10] [--spaceletd PATH]
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/process/spawn.h"
#include "load.h"

namespace {

using namespace std::chrono_literals;
using spacelet::agent::process::Child;

struct Options {
  int spaces = 1000;
  int clients = 50;
  int seconds = 10;
  std::string spaceletd = std::string(SPACELET_BINARY_DIR) + "/agent/spaceletd";
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "api_bench: %s\n", what.c_str());
  std::exit(1);
}

// One keep-alive connection for setup requests.
class Connection {
 public:
  explicit Connection(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      ::close(std::exchange(fd_, -1));
  }
  ~Connection() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  // Returns the status and body.
  std::pair<int, std::string> request(const std::string& method, const std::string& path,
                                      const std::string& body = "") {
    std::string req = method + " " + path +
                      " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\n\r\n" + body;
    (void)!::send(fd_, req.data(), req.size(), MSG_NOSIGNAL);
    std::string in;
    char buf[65536];
    for (;;) {
      size_t head = in.find("\r\n\r\n");
      if (head != std::string::npos) {
        size_t cl = in.find("Content-Length: ");
        size_t length = cl < head ? std::strtoul(in.c_str() + cl + 16, nullptr, 10) : 0;
        if (in.size() >= head + 4 + length)
          return {std::atoi(in.c_str() + 9), in.substr(head + 4, length)};
      }
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return {0, ""};
      in.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
};

long rssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

Child startAgent(const Options& o, const std::string& dir) {
  struct group* g = ::getgrgid(::getegid());
  std::ofstream(dir + "/config.yaml")
      << "paths:\n  state_dir: " << dir << "/state\n  run_dir: " << dir << "/run\n  socket: " << dir
      << "/run/api.sock\n  socket_group: " << (g ? g->gr_name : "root") << "\n  node_key: " << dir
      << "/node.key\nlimits:\n  max_spaces: " << std::max(o.spaces, 1) << "\n";
  spacelet::agent::process::SpawnOptions so;
  so.argv = {o.spaceletd, "--config", dir + "/config.yaml"};
  so.env = {"PATH=/usr/bin:/bin"};
  so.stderrMode = spacelet::agent::process::Stream::kInherit;
  auto child = spacelet::agent::process::spawn(so);
  if (!child) die(child.error().message);
  for (int i = 0; i < 200; ++i) {
    Connection c(dir + "/run/api.sock");
    if (c.ok() && c.request("GET", "/v1/info").first == 200) return std::move(*child);
    std::this_thread::sleep_for(25ms);
  }
  die("spaceletd did not start");
}

void printLoad(const char* name, const spacelet::bench::LoadResult& r, double anchor) {
  std::printf("  %-22s %9.0f req/s  p50 %6.3f ms  p99 %6.3f ms  max %7.3f ms  errors %llu", name,
              r.perSecond(), r.percentile(50), r.percentile(99), r.percentile(100),
              static_cast<unsigned long long>(r.errors));
  if (anchor > 0) std::printf("  (%.2f x anchor)", r.perSecond() / anchor);
  std::printf("\n");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--spaces")
      o.spaces = std::atoi(argv[i + 1]);
    else if (a == "--clients")
      o.clients = std::atoi(argv[i + 1]);
    else if (a == "--seconds")
      o.seconds = std::atoi(argv[i + 1]);
    else if (a == "--spaceletd")
      o.spaceletd = argv[i + 1];
    else
      die("unknown option '" + a + "'");
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  char tmpl[] = "/tmp/spacelet-bench-XXXXXX";
  if (!::mkdtemp(tmpl)) die("mkdtemp");
  std::string dir = tmpl;
  Child agent = startAgent(o, dir);
  std::string sock = dir + "/run/api.sock";
  std::this_thread::sleep_for(2s);
  long rssEmpty = rssKiB(agent.pid());

  Connection setup(sock);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < o.spaces; ++i) {
    std::string body = nlohmann::json({{"id", "bench/space-" + std::to_string(i)}}).dump();
    if (setup.request("POST", "/v1/spaces", body).first != 201)
      die("create Space " + std::to_string(i) + " failed");
  }
  double createSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::this_thread::sleep_for(3s);
  long rssFull = rssKiB(agent.pid());

  std::string sample = setup.request("GET", "/v1/spaces/bench/space-0").second;
  spacelet::bench::Responder anchor(dir + "/anchor.sock", sample);
  auto duration = std::chrono::seconds(o.seconds);
  int n = std::max(o.spaces, 1);
  auto paths = [n](uint64_t i) {
    return "/v1/spaces/bench/space-" + std::to_string(i % static_cast<uint64_t>(n));
  };
  auto anchorLoad = spacelet::bench::runLoad(dir + "/anchor.sock", o.clients, duration, paths);
  anchor.stop();
  auto agentLoad = spacelet::bench::runLoad(sock, o.clients, duration, paths);

  std::printf("spaceletd API benchmark: %d Spaces, %d clients, %d s per run, %u CPUs\n", o.spaces,
              o.clients, o.seconds, std::thread::hardware_concurrency());
  std::printf(
      "  created %d Spaces through the API in %.1f s (%.0f/s; each one fsync'd transaction)\n",
      o.spaces, createSeconds, o.spaces / createSeconds);
  std::printf("  idle RSS: %.1f MiB with 0 Spaces, %.1f MiB with %d Spaces (target < 30 MiB)\n",
              rssEmpty / 1024.0, rssFull / 1024.0, o.spaces);
  std::printf("  GET /v1/spaces/{id} (%zu-byte body):\n", sample.size());
  printLoad("anchor (fixed reply)", anchorLoad, 0);
  printLoad("spaceletd", agentLoad, anchorLoad.perSecond());
  bool ok = agentLoad.perSecond() >= 5000 && agentLoad.percentile(99) < 5 && rssFull < 30 * 1024 &&
            agentLoad.errors == 0;
  std::printf("  targets (>= 5000 req/s, p99 < 5 ms, RSS < 30 MiB): %s\n", ok ? "met" : "NOT met");
  (void)agent.signal(SIGTERM);
  (void)agent.wait();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return ok ? 0 : 3;
}
