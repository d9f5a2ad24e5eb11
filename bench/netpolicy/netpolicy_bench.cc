// Benchmark of the network policy: attach+detach latency of one Space with 0, 1 000 and
// 10 000 Spaces already attached (each a real netns, veth pair and table elements), and a full
// reconcile of all of them. Runs in a private network and mount namespace of its own, so it
// never touches the host's network; the anchor (one bare `nft -j -f -` run) is measured in the
// same run so that the figures can be read as ratios on a noisy machine.
//   netpolicy_bench [--sizes 0,1000,10000] [--iterations 30] [--reconciles 3] [--no-helper]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "nft_runner.h"
#include "spacelet/netpolicy/net_policy.h"

namespace spacelet::netpolicy::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::vector<int> sizes = {0, 1000, 10000};
  int iterations = 30;
  int reconciles = 3;
  bool helper = true;
};

struct Stats {
  double median = 0, p90 = 0, min = 0;
};

Stats stats(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  if (ms.empty()) return {};
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 9 / 10)], ms.front()};
}

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "netpolicy_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T must(Result<T> r, const std::string& what) {
  if (!r) die(what + ": " + r.error().message);
  return std::move(*r);
}
void must(Result<void> r, const std::string& what) {
  if (!r) die(what + ": " + r.error().message);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--no-helper") {
      o.helper = false;
      --i;
      continue;
    }
    if (i + 1 == argc) die("option '" + flag + "' needs a value");
    std::string value = argv[i + 1];
    if (flag == "--sizes") {
      o.sizes.clear();
      std::stringstream in(value);
      for (std::string n; std::getline(in, n, ',');) o.sizes.push_back(std::stoi(n));
    } else if (flag == "--iterations") {
      o.iterations = std::stoi(value);
    } else if (flag == "--reconciles") {
      o.reconciles = std::stoi(value);
    } else {
      die("unknown option '" + flag + "' (--sizes LIST --iterations N --reconciles N --no-helper)");
    }
  }
  return o;
}

// A network and mount namespace of our own: the "node" is this process's namespace, and the
// Spaces' namespace files are mounted where nobody else sees them.
void isolate() {
  if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0)
    die(std::string("unshare: ") + std::strerror(errno));
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    die(std::string("make / private: ") + std::strerror(errno));
  }
}

long availableMiB() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  long kb = 0;
  while (in >> key >> kb) {
    if (key == "MemAvailable:") return kb / 1024;
    in.ignore(256, '\n');
  }
  return 0;
}

std::vector<SpaceSpec> specs(int n) {
  std::vector<SpaceSpec> out;
  for (int i = 0; i < n; ++i) out.push_back({"bench/space-" + std::to_string(i), 7860});
  return out;
}

// The anchor: one nft run with an empty document (process start, libnftables, one netlink
// round trip), the floor under every table change without the helper. With `helperPath`, the
// same document through the running helper (one round trip over its socket and netlink).
Stats anchor(const Config& config, const std::string& helperPath, int iterations) {
  NftRunner nft(config.nftPath, helperPath, FdView(), config.nftTimeout);
  std::vector<double> ms;
  for (int i = 0; i <= iterations; ++i) {
    auto start = Clock::now();
    must(nft.apply(nlohmann::json{{"nftables", nlohmann::json::array()}}), "anchor nft run");
    if (i > 0) ms.push_back(msSince(start));  // the first run starts the helper
  }
  return stats(ms);
}

// One conntrack entry on the node (a UDP datagram over loopback), so that a detach has to
// search the conntrack table as it does on a node with live traffic.
void trackOneFlow() {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  (void)!::sendto(s.get(), "x", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
}

struct Latencies {
  Stats detach;      // attach + detach (the lease is kept, as when an app restarts)
  Stats detachLive;  // the same with a conntrack entry on the node
  Stats release;     // attach + release (a fresh lease each time)
};

Latencies attachDetach(NetPolicy& policy, int iterations) {
  std::vector<double> detachMs, liveMs, releaseMs;
  for (int i = 0; i < iterations; ++i) {
    auto start = Clock::now();
    must(policy.attach({"bench/probe", 7860}), "attach");
    must(policy.detach("bench/probe"), "detach");
    detachMs.push_back(msSince(start));
  }
  for (int i = 0; i < iterations; ++i) {
    trackOneFlow();
    auto start = Clock::now();
    must(policy.attach({"bench/probe", 7860}), "attach");
    must(policy.detach("bench/probe"), "detach");
    liveMs.push_back(msSince(start));
  }
  for (int i = 0; i < iterations; ++i) {
    std::string id = "bench/fresh-" + std::to_string(i);
    auto start = Clock::now();
    must(policy.attach({id, 7860}), "attach");
    must(policy.release(id), "release");
    releaseMs.push_back(msSince(start));
  }
  must(policy.release("bench/probe"), "release probe");
  return {stats(detachMs), stats(liveMs), stats(releaseMs)};
}

void printStats(const char* what, int present, const Stats& s, double anchorMedian) {
  std::printf("%-31s present=%-6d median=%7.2f ms  p90=%7.2f ms  min=%7.2f ms  (%.2fx anchor)\n",
              what, present, s.median, s.p90, s.min, s.median / anchorMedian);
}

int run(int argc, char** argv) {
  Options options = parse(argc, argv);
  isolate();
  std::string root = "/tmp/netpolicy-bench-" + std::to_string(::getpid());
  Config config;
  config.netnsDir = root + "/netns";
  config.stateDir = root + "/state";
  // The namespace files live on a tmpfs of this private mount namespace (state stays on disk).
  std::filesystem::create_directories(config.netnsDir);
  if (::mount("tmpfs", config.netnsDir.c_str(), "tmpfs", 0, "size=16m") != 0) {
    die(std::string("mount tmpfs: ") + std::strerror(errno));
  }
  config.nftHelperPath = options.helper ? SPACELET_BENCH_NFT_HELPER : "";
  config.ipv4Pool = *Prefix::parse("10.200.0.0/16");
  config.resolvers = {*IpAddress::parse("10.53.0.1")};
  auto policy = must(NetPolicy::open(config), "open");
  must(policy->reconcile({}), "initial reconcile");
  Stats a = anchor(config, "", options.iterations);
  std::printf("anchor: nft -j -f - (empty)    median=%7.2f ms  p90=%7.2f ms\n", a.median, a.p90);
  Stats h = anchor(config, SPACELET_BENCH_NFT_HELPER, options.iterations);
  std::printf("helper round trip (empty)      median=%7.2f ms  p90=%7.2f ms\n", h.median, h.p90);
  std::printf("table changes through %s\n",
              options.helper ? "spacelet-nft-helper" : "an nft process each (--no-helper)");
  double baseline = 0, releaseBaseline = 0;
  int present = 0;
  long memBefore = availableMiB();
  for (int size : options.sizes) {
    if (size > present) {
      auto start = Clock::now();
      must(policy->reconcile(specs(size)), "grow to " + std::to_string(size));
      std::printf("grew to %d Spaces in %.1f s (netns + veth + addresses each)\n", size,
                  msSince(start) / 1000);
      present = size;
    }
    Latencies l = attachDetach(*policy, options.iterations);
    if (size == options.sizes.front()) {
      baseline = l.detach.median;
      releaseBaseline = l.release.median;
    }
    printStats("attach+detach", present, l.detach, a.median);
    printStats("attach+detach, live conntrack", present, l.detachLive, a.median);
    printStats("attach+release (new lease)", present, l.release, a.median);
    std::printf("  ratio to present=%d: attach+detach %.2fx, attach+release %.2fx\n",
                options.sizes.front(), l.detach.median / baseline,
                l.release.median / releaseBaseline);
  }
  std::printf("memory used by %d Spaces: about %ld MiB\n", present, memBefore - availableMiB());
  std::vector<double> reconcileMs;
  for (int i = 0; i < options.reconciles; ++i) {
    auto start = Clock::now();
    must(policy->reconcile(specs(present)), "reconcile");
    reconcileMs.push_back(msSince(start));
  }
  Stats r = stats(reconcileMs);
  std::printf("full reconcile of %d Spaces: median=%.0f ms  min=%.0f ms\n", present, r.median,
              r.min);
  // No teardown by detaching one by one (minutes at 10 000): dropping the namespace files'
  // mount lets the kernel free every Space namespace, and with it its veth pair, in batches.
  policy.reset();
  ::umount2(config.netnsDir.c_str(), MNT_DETACH);
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  return 0;
}

}  // namespace
}  // namespace spacelet::netpolicy::bench

int main(int argc, char** argv) {
  return spacelet::netpolicy::bench::run(argc, argv);
}
