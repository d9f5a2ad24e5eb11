// Lifecycle benchmarks (issue 6; root): the real spaceletd with its Spaces' network behind a
// network namespace this program makes, its front proxy on a free loopback port, and plain
// `git push` to each Space's repository. It measures (a) push to serving for a static Space:
// from `git push` returning to the new page being served, N pushes; (b) a docker Space whose
// app files changed (only the layers after the change rebuild) beside a full rebuild
// (`restart --factory`) and the first, cold build; (c) zero downtime: a client requesting at a
// steady rate through the front proxy during consecutive redeploys, counting failed requests.
// Usage: lifecycle_bench [--pushes N] [--app-changes N] [--redeploys N] [--rate REQ_PER_S]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "agent_fixture.h"
#include "test_env.h"

using namespace spacelet;
using Clock = std::chrono::steady_clock;
using spacelet::testing::CommandResult;
using spacelet::testing::runCommand;

namespace {

struct Options {
  int pushes = 10;     // (a)
  int appChanges = 3;  // (b), and as many factory rebuilds
  int redeploys = 20;  // (c)
  int rate = 50;       // (c) requests per second
};

using Files = std::map<std::string, std::string>;

// A failed measurement unwinds to main, so that BenchNode's destructor takes the node down.
struct BenchFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void die(const std::string& what) {
  throw BenchFailure(what);
}

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// One HTTP GET on a fresh connection to 127.0.0.1:port with the Space's host name. Returns
// the whole reply ("" when there was no connection or no reply within the timeout). A call
// interrupted by a signal carries on: the bench's own children (git, spacectl) end while
// requests are in flight, and their SIGCHLD interrupted recv, which was then counted as a
// request the Space failed.
std::string httpGet(uint16_t port, const std::string& host, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  if (rc != 0 && errno == EINTR) {  // the connection goes on: wait for its outcome
    pollfd p{fd, POLLOUT, 0};
    while (::poll(&p, 1, 5000) < 0 && errno == EINTR) {
    }
    int error = 0;
    socklen_t length = sizeof error;
    rc = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0 ? 0 : -1;
  }
  std::string reply;
  std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  size_t sent = 0;
  while (rc == 0 && sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      rc = -1;
    }
  }
  char buf[4096];
  while (rc == 0) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      reply.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fd);
  return reply;
}

bool isOk(const std::string& reply) {
  return reply.starts_with("HTTP/1.1 200") || reply.starts_with("HTTP/1.0 200");
}

uint16_t freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    die("no free loopback port");
  ::close(fd);
  return ntohs(addr.sin_port);
}

// The node: a network namespace, the agent, and the Spaces it was asked to make. The
// destructor deletes the Spaces, stops the agent and its proxy, and removes the namespace.
class BenchNode {
 public:
  BenchNode()
      : netns_("spacelet-bench-" + std::to_string(::getpid())),
        author_("bench" + std::to_string(::getpid())),
        port_(freeLoopbackPort()),
        agent_("network:\n  node_netns: /run/netns/" + netns_ + "\nproxy:\n  listen: 127.0.0.1:" +
               std::to_string(port_) + "\n  domain: localhost\nsupervisor:\n  stop_grace: 2s\n") {}
  ~BenchNode();
  void start();
  std::string create(const std::string& name, const std::string& sdk);
  CommandResult spacectl(std::vector<std::string> args);
  // Commits `files` into the Space's work tree and runs `git push <repo> HEAD:main`.
  void push(const std::string& id, const Files& files, const std::string& message);
  std::string get(const std::string& id, const std::string& path = "/") {
    return httpGet(port_, hostOf(id), path);
  }
  // Polls GET every 5 ms until a 200 reply contains `needle`; seconds taken, or dies.
  double waitServed(const std::string& id, const std::string& needle, double limitSeconds = 120);
  void waitStage(const std::string& id, const std::string& stage);
  nlohmann::json deployments(const std::string& id);
  // Waits until the Space has one container left (the replaced one stopped); seconds taken.
  double waitOneContainer(const std::string& id);
  uint16_t port() const { return port_; }
  std::string hostOf(const std::string& id) const {
    return author_ + "-" + id.substr(id.find('/') + 1) + ".localhost";
  }

 private:
  std::string netns_;
  std::string author_;
  uint16_t port_;
  agent::testing::AgentInstance agent_;
  bool netnsMade_ = false;
  std::vector<std::string> spaces_;
};

void BenchNode::start() {
  if (auto why = spacelet::testing::requireRoot(); !why.empty()) die(why);
  if (runCommand({"ip", "netns", "add", netns_}).status != 0) die("ip netns add " + netns_);
  netnsMade_ = true;
  runCommand({"ip", "-n", netns_, "link", "set", "lo", "up"});
  if (auto why = agent_.start(); !why.empty()) die("spaceletd did not start: " + why);
}

BenchNode::~BenchNode() {
  for (const auto& id : spaces_) spacectl({"delete", id});
  for (int i = 0; i < 300 && agent_.running(); ++i) {
    if (trim(spacectl({"list", "--quiet"}).output).empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  agent_.stop();
  std::ifstream pidFile(agent_.dir() + "/run/proxy/proxy.pid");
  pid_t proxy = 0;
  if (pidFile >> proxy && proxy > 0) ::kill(proxy, SIGTERM);  // the proxy outlives agents
  if (netnsMade_) runCommand({"ip", "netns", "delete", netns_});
}

CommandResult BenchNode::spacectl(std::vector<std::string> args) {
  args.insert(args.begin(), {agent::testing::spacectlPath(), "--socket", agent_.socket()});
  return runCommand(args);
}

std::string BenchNode::create(const std::string& name, const std::string& sdk) {
  std::string id = author_ + "/" + name;
  auto made = spacectl({"create", id, "--sdk", sdk});
  if (made.status != 0) die("spacectl create " + id + ": " + made.output);
  spaces_.push_back(id);
  return id;
}

void BenchNode::push(const std::string& id, const Files& files, const std::string& message) {
  std::string tree = agent_.dir() + "/src/" + id.substr(id.find('/') + 1);
  if (::access((tree + "/.git").c_str(), F_OK) != 0) {
    runCommand({"mkdir", "-p", tree});
    runCommand({"git", "-C", tree, "init", "-q", "-b", "main"});
  }
  for (const auto& [path, content] : files) {
    runCommand({"mkdir", "-p", tree + "/" + path.substr(0, path.rfind('/') + 1)});
    std::ofstream(tree + "/" + path, std::ios::binary | std::ios::trunc) << content;
  }
  runCommand({"git", "-C", tree, "add", "-A"});
  auto commit = runCommand({"git", "-C", tree, "-c", "user.name=bench", "-c",
                            "user.email=bench@spacelet.local", "commit", "-q", "-m", message});
  if (commit.status != 0) die("git commit: " + commit.output);
  std::string repo = trim(spacectl({"repo", id}).output);
  auto pushed = runCommand({"git", "-C", tree, "push", "-q", repo, "HEAD:main"});
  if (pushed.status != 0) die("git push " + repo + ": " + pushed.output);
  // The hook never fails a push; what it says tells whether the agent heard of it.
  if (pushed.output.find("could not be told") != std::string::npos)
    die("git push " + repo + ": " + pushed.output);
}

double BenchNode::waitServed(const std::string& id, const std::string& needle,
                             double limitSeconds) {
  auto start = Clock::now();
  while (secondsSince(start) < limitSeconds) {
    std::string reply = get(id);
    if (isOk(reply) && reply.find(needle) != std::string::npos) return secondsSince(start);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  die(id + " did not serve '" + needle + "' within " + std::to_string(limitSeconds) +
      " s; agent log: " + agent_.logPath());
}

void BenchNode::waitStage(const std::string& id, const std::string& stage) {
  auto waited = spacectl({"wait", id, "--stage", stage, "--timeout", "300"});
  if (waited.status != 0) die(waited.output);
}

double BenchNode::waitOneContainer(const std::string& id) {
  std::string prefix = id.substr(0, id.find('/')) + "--" + id.substr(id.find('/') + 1) + "--";
  auto start = Clock::now();
  while (secondsSince(start) < 120) {
    auto listed = runCommand({spacelet::testing::runtimePath(), "--root",
                              agent_.dir() + "/run/runtime", "list", "--quiet"});
    int count = 0;
    for (size_t at = 0; (at = listed.output.find(prefix, at)) != std::string::npos; ++at) ++count;
    if (count == 1) return secondsSince(start);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  die(id + ": the replaced deployment's container was not stopped within 120 s");
}

nlohmann::json BenchNode::deployments(const std::string& id) {
  auto listed = spacectl({"--json", "deployments", id});
  auto json = nlohmann::json::parse(listed.output, nullptr, false);
  if (listed.status != 0 || !json.is_object()) die("spacectl deployments: " + listed.output);
  return json;
}

// Seconds into the day of an API timestamp ("2026-11-27T12:10:17.622Z"); differences of two
// taken a few seconds apart are what the bench needs.
double secondsOfDay(const nlohmann::json& timestamp) {
  if (!timestamp.is_string()) die("a deployment without the time it was expected to have");
  std::string t = timestamp.get<std::string>();
  size_t at = t.find('T');
  if (at == std::string::npos || t.size() < at + 9) die("not a timestamp: '" + t + "'");
  return std::stoi(t.substr(at + 1, 2)) * 3600 + std::stoi(t.substr(at + 4, 2)) * 60 +
         std::stod(t.substr(at + 7, t.size() - at - 8));
}

// Now, as secondsOfDay reads an API timestamp.
double utcSecondsOfDay() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::fmod(std::chrono::duration<double>(now).count(), 86400.0);
}

// The serving deployment's record.
nlohmann::json servingDeployment(BenchNode& node, const std::string& id) {
  auto all = node.deployments(id);
  for (const auto& d : all["deployments"])
    if (d["seq"] == all["serving"]) return d;
  die(id + " has no serving deployment");
}

Files staticFiles(int version) {
  return {{"README.md", "---\ntitle: bench\nsdk: static\n---\n"},
          {"index.html", "<p>version " + std::to_string(version) + "</p>\n"}};
}

// (a) Push to serving, static Space: the new page served after `git push` returned. Each push
// is made once the previous one's replaced deployment has stopped, so that it measures one
// push on a settled Space; the time that stop took is reported beside.
void pushToServing(BenchNode& node, const Options& o) {
  std::string id = node.create("static", "static");
  node.push(id, staticFiles(0), "v0");
  node.waitServed(id, "version 0");
  node.waitStage(id, "RUNNING");
  std::vector<double> total, build, start, stopOld;
  for (int i = 1; i <= o.pushes; ++i) {
    node.push(id, staticFiles(i), "v" + std::to_string(i));
    total.push_back(node.waitServed(id, "version " + std::to_string(i) + "<"));
    node.waitStage(id, "RUNNING");
    stopOld.push_back(node.waitOneContainer(id));
    auto d = servingDeployment(node, id);
    build.push_back(secondsOfDay(d["built_at"]) - secondsOfDay(d["created_at"]));
    start.push_back(secondsOfDay(d["serving_at"]) - secondsOfDay(d["built_at"]));
    std::printf(
        "  push %2d: served after %.3f s (export+build %.3f s, start+switch %.3f s); "
        "the old one stopped %.2f s later\n",
        i, total.back(), build.back(), start.back(), stopOld.back());
  }
  std::printf(
      "(a) push to serving, static Space, median of %d: %.3f s (min %.3f, max %.3f); "
      "export+build %.3f s, bundle+network+start+probe+switch %.3f s; the old one stopped "
      "%.2f s after that  [target < 1 s]\n\n",
      o.pushes, median(total), *std::min_element(total.begin(), total.end()),
      *std::max_element(total.begin(), total.end()), median(build), median(start), median(stopOld));
}

Files dockerFiles(int version) {
  return {{"README.md", "---\ntitle: bench\nsdk: docker\napp_port: 8080\n---\n"},
          {"Dockerfile",
           "FROM spacelet/busybox:latest\nWORKDIR /srv\n"
           "# stands for installing the app's dependencies\n"
           "RUN sleep 2 && echo deps > /srv/deps.txt\n"
           "COPY --chown=1000:1000 www /srv/www\nUSER 1000\nEXPOSE 8080\n"
           "CMD [\"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/srv/www\"]\n"},
          {"www/index.html", "<p>app version " + std::to_string(version) + "</p>\n"}};
}

struct BuildFacts {
  double buildSeconds = 0;
  std::string cached;   // "k/m"
  std::string rebuilt;  // the steps that ran, e.g. "COPY www"
};

// What the serving deployment's build log says: its time, its cache hits, the steps that ran.
BuildFacts buildFacts(BenchNode& node, const std::string& id) {
  BuildFacts f;
  std::string log = node.spacectl({"logs", id, "--build"}).output;
  std::smatch m;
  if (std::regex_search(log, m, std::regex(R"(built \S+ in (\d+) ms \((\d+/\d+) steps cached)")))
    f.buildSeconds = std::stod(m[1]) / 1e3, f.cached = m[2];
  std::regex step(R"(Step \d+/\d+ : ([^\n]{1,28})[^\n]*\n ---> [0-9a-f]+ \()");
  for (std::sregex_iterator it(log.begin(), log.end(), step), end; it != end; ++it)
    f.rebuilt += (f.rebuilt.empty() ? "" : ", ") + (*it)[1].str();
  return f;
}

// Time to serve after `act` (a push or a restart), until `needle` is served by a deployment
// newer than the one serving before.
double timedRedeploy(BenchNode& node, const std::string& id, const std::string& needle,
                     const std::function<void()>& act) {
  node.waitOneContainer(id);  // the Space settled: the replaced deployment stopped
  int before = servingDeployment(node, id)["seq"].get<int>();
  act();
  auto start = Clock::now();
  node.waitServed(id, needle, 300);
  while (servingDeployment(node, id)["seq"].get<int>() == before) {
    if (secondsSince(start) > 300) die(id + ": no new deployment served");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  double took = secondsSince(start);
  node.waitStage(id, "RUNNING");
  return took;
}

void report(const char* what, const std::vector<double>& served,
            const std::vector<BuildFacts>& builds) {
  std::vector<double> buildTimes;
  for (const auto& b : builds) buildTimes.push_back(b.buildSeconds);
  std::printf(
      "  %-32s push/restart to serving %.2f s, build %.2f s, cached steps %s, rebuilt: %s\n", what,
      median(served), median(buildTimes), builds.back().cached.c_str(),
      builds.back().rebuilt.empty() ? "nothing" : builds.back().rebuilt.c_str());
}

// (b) Docker Space: an app-file change rebuilds only the layers after it; beside a full
// rebuild without cache (restart --factory) and the first build.
void dockerRebuilds(BenchNode& node, const Options& o) {
  std::string id = node.create("docker", "docker");
  node.push(id, dockerFiles(0), "v0");
  std::vector<double> cold = {node.waitServed(id, "app version 0", 300)};
  node.waitStage(id, "RUNNING");
  report("first build (cold):", cold, {buildFacts(node, id)});
  std::vector<double> served;
  std::vector<BuildFacts> builds;
  for (int i = 1; i <= o.appChanges; ++i) {
    std::string needle = "app version " + std::to_string(i) + "<";
    served.push_back(timedRedeploy(node, id, needle, [&] {
      node.push(id, {{"www/index.html", "<p>app version " + std::to_string(i) + "</p>\n"}},
                "app change " + std::to_string(i));
    }));
    builds.push_back(buildFacts(node, id));
  }
  report("app file changed (cached):", served, builds);
  double incremental = median(served);
  served.clear(), builds.clear();
  std::string needle = "app version " + std::to_string(o.appChanges) + "<";
  for (int i = 0; i < o.appChanges; ++i) {
    served.push_back(timedRedeploy(node, id, needle, [&] {
      auto r = node.spacectl({"restart", id, "--factory"});
      if (r.status != 0) die("spacectl restart --factory: " + r.output);
    }));
    builds.push_back(buildFacts(node, id));
  }
  report("full rebuild (restart --factory):", served, builds);
  std::printf(
      "(b) docker Space, medians of %d: app change %.2f s vs full rebuild %.2f s "
      "(%.0f%%)\n\n",
      o.appChanges, incremental, median(served), 100 * incremental / median(served));
}

// (c) Zero downtime: a client at `rate` requests/s (each on a fresh connection) through the
// front proxy while the static Space is redeployed `redeploys` times, one after the other.
// Each failed request is reported with when it started (seconds into the run), how long it
// took and what came back; each redeploy with its push-to-serving time.
void zeroDowntime(BenchNode& node, const Options& o) {
  std::string id = "bench" + std::to_string(::getpid()) + "/static";
  std::atomic<int> total{0}, failed{0};
  std::atomic<double> slowest{0};
  std::vector<std::string> failures;
  auto start = Clock::now();
  // A jthread: a failed redeploy unwinds through its destructor, which stops and joins it.
  std::jthread client([&](const std::stop_token& stop) {
    auto period = std::chrono::microseconds(1000000 / o.rate);
    for (auto next = Clock::now(); !stop.stop_requested(); next += period) {
      auto sent = Clock::now();
      std::string reply = node.get(id);
      double took = secondsSince(sent);
      if (took > slowest) slowest = took;
      ++total;
      if (!isOk(reply) || reply.find("version ") == std::string::npos) {
        ++failed;
        char what[160];
        std::snprintf(what, sizeof what, "at %.3f (UTC seconds of the day), after %.3f s: %s",
                      utcSecondsOfDay(), took,
                      reply.empty() ? "(no reply)" : reply.substr(0, 80).c_str());
        if (failures.size() < 20) failures.push_back(what);
      }
      std::this_thread::sleep_until(std::max(next + period, Clock::now()));
    }
  });
  std::vector<double> served;
  for (int i = 1; i <= o.redeploys; ++i) {
    int version = 1000 + i;
    node.push(id, staticFiles(version), "redeploy " + std::to_string(i));
    double pushedAt = secondsSince(start);
    served.push_back(node.waitServed(id, "version " + std::to_string(version) + "<"));
    node.waitStage(id, "RUNNING");
    std::printf("  redeploy %2d: pushed at %.2f s, served after %.3f s\n", i, pushedAt,
                served.back());
  }
  double took = secondsSince(start);
  client.request_stop();
  client.join();
  std::printf(
      "(c) zero downtime: %d redeploys in %.1f s, client at %d req/s: %d requests (%.1f/s), %d "
      "failed, slowest reply %.3f s; push to serving median %.3f s (max %.3f)\n",
      o.redeploys, took, o.rate, total.load(), total.load() / took, failed.load(), slowest.load(),
      median(served), *std::max_element(served.begin(), served.end()));
  for (const auto& f : failures) std::printf("    failed: %s\n", f.c_str());
  if (failures.empty()) return;
  std::printf("    the deployments (UTC seconds of the day): seq, serving at, ended at\n");
  auto all = node.deployments(id);  // held: a temporary's member would dangle in the loop
  for (const auto& d : all["deployments"]) {
    auto at = [&](const char* key) { return d[key].is_string() ? secondsOfDay(d[key]) : 0.0; };
    std::printf("    #%d %.3f %.3f\n", d["seq"].get<int>(), at("serving_at"), at("ended_at"));
  }
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto number = [&](int& out) {
      if (i + 1 >= argc) die(a + " needs a number");
      out = std::atoi(argv[++i]);
      if (out < 1) die(a + " takes a whole number of at least 1, not '" + argv[i] + "'");
    };
    if (a == "--pushes")
      number(o.pushes);
    else if (a == "--app-changes")
      number(o.appChanges);
    else if (a == "--redeploys")
      number(o.redeploys);
    else if (a == "--rate")
      number(o.rate);
    else
      die("unknown option '" + a +
          "'; usage: lifecycle_bench [--pushes N] [--app-changes N] [--redeploys N] [--rate R]");
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  try {
    Options o = parse(argc, argv);
    double load[3] = {0, 0, 0};
    ::getloadavg(load, 3);
    std::printf("lifecycle_bench: load average %.2f %.2f %.2f, %ld CPUs\n\n", load[0], load[1],
                load[2], ::sysconf(_SC_NPROCESSORS_ONLN));
    BenchNode node;
    node.start();
    pushToServing(node, o);
    dockerRebuilds(node, o);
    zeroDowntime(node, o);
    ::getloadavg(load, 3);
    std::printf("\nload average at the end %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  } catch (const std::exception& e) {  // BenchFailure, or a JSON reply not shaped as expected
    std::fprintf(stderr, "lifecycle_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
