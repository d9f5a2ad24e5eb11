// A miniature node for the network policy's integration tests, built only from network
// namespaces the test creates (names unique per run): a "node" namespace (the nftables table
// and the sp-* host ends live here, never in the real host's namespace), an "internet"
// namespace as its upstream with listeners on TCP 80/443/8080/22/25/5432/9000, UDP 443 and
// DNS, and a resolver on the node. Everything is removed by the destructors, even when a test
// fails. Probes (connect, DNS query) run on threads that joined a namespace, so they measure
// real connections in the kernel without a helper program.
//
//   Space netns (eth0 10.213.x.y/31) ── sp-* ── node (11.0.0.1, resolver 10.53.0.1 on lo)
//                                                 └─ uplink ── internet (11.0.0.80,
//                                                              10.99.0.1, 169.254.169.254)
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "spacelet/base/unique_fd.h"
#include "spacelet/netpolicy/address.h"
#include "spacelet/netpolicy/config.h"
#include "test_env.h"

namespace spacelet::netpolicy::testing {

// Runs a shell-free command (argv) and fails the current test when it does not exit 0.
void mustRun(const std::vector<std::string>& argv);
// Output of a command that must succeed.
std::string output(const std::vector<std::string>& argv);

// A named network namespace (ip netns add), deleted on destruction.
class NamedNetns {
 public:
  explicit NamedNetns(std::string name);
  ~NamedNetns();
  NamedNetns(const NamedNetns&) = delete;
  NamedNetns& operator=(const NamedNetns&) = delete;
  const std::string& name() const { return name_; }
  std::string path() const { return "/run/netns/" + name_; }
  // `ip -n NAME ARGS...`
  void ip(std::vector<std::string> args) const;

 private:
  std::string name_;
};

// How many conntrack entries of the namespace match `filter` (conntrack(8) options such as
// {"-s", "10.0.0.1"}). A packet that got past the raw-priority guard leaves one.
int conntrackCount(const NamedNetns& ns, const std::vector<std::string>& filter);

enum class Proto { kTcp, kUdp };

// Where a listener binds: an address ("" = every IPv4 and IPv6 address) and a port. UDP
// listeners bind one address so their replies leave from the address the client used.
struct Endpoint {
  Proto proto;
  std::string address;
  int port;
};

// Listening sockets (made inside a namespace) served by one thread: TCP peers get
// "hi <port>\n", UDP datagrams are echoed, and port 53 answers like a DNS server (the query
// with the QR bit set). Every accepted connection or datagram is counted per port.
class Listeners {
 public:
  Listeners(const std::string& netnsPath, const std::vector<Endpoint>& endpoints);
  ~Listeners();
  int hits(Proto proto, int port) const;

 private:
  void serve();
  void handle(size_t index);
  std::vector<Endpoint> endpoints_;
  std::vector<UniqueFd> sockets_;
  std::map<std::pair<Proto, int>, std::atomic<int>> hits_;
  UniqueFd stop_;
  std::thread thread_;
};

enum class Outcome { kConnected, kRefused, kUnreachable, kTimeout, kError };
const char* outcomeName(Outcome o);

struct Probe {
  Outcome outcome = Outcome::kError;
  int error = 0;
  double elapsedMs = 0;
  std::string reply;
};

// Connects from inside `netnsPath` to address:port (TCP: connect and read the greeting; UDP:
// send a datagram and wait for the echo), from `source` when given. A DNS query when port is 53.
Probe probe(const std::string& netnsPath, const IpAddress& address, int port, Proto proto,
            std::chrono::milliseconds timeout = std::chrono::milliseconds(1000),
            const IpAddress* source = nullptr);

// The whole miniature node.
class MiniNode {
 public:
  explicit MiniNode(bool ipv6);
  ~MiniNode();

  // A configuration pointing at this node: its namespace, a temp state and netns directory.
  Config config() const;
  const NamedNetns& node() const { return *node_; }
  const NamedNetns& internet() const { return *internet_; }
  Listeners& internetListeners() { return *internetListeners_; }
  Listeners& nodeListeners() { return *nodeListeners_; }
  std::string suffix() const { return suffix_; }

  static IpAddress v4(const char* text);
  // Addresses of the miniature world.
  static constexpr const char* kInternet4 = "11.0.0.80";
  static constexpr const char* kNodeUplink4 = "11.0.0.1";
  static constexpr const char* kPrivate4 = "10.99.0.1";
  static constexpr const char* kMetadata4 = "169.254.169.254";
  static constexpr const char* kResolver4 = "10.53.0.1";
  static constexpr const char* kInternet6 = "2a00:1::80";
  static constexpr const char* kNodeUplink6 = "2a00:1::1";
  static constexpr const char* kUla6 = "fd00:99::1";
  static constexpr const char* kResolver6 = "fd00:53::1";
  static constexpr const char* kPool4 = "10.213.0.0/24";
  static constexpr const char* kPool6 = "fd5a:ce::/120";

 private:
  void wireUplink();
  void startListeners();
  std::string suffix_;
  spacelet::testing::TempDir stateRoot_{"netpolicy-it"};
  bool ipv6_;
  std::unique_ptr<NamedNetns> node_;
  std::unique_ptr<NamedNetns> internet_;
  std::unique_ptr<Listeners> internetListeners_;
  std::unique_ptr<Listeners> nodeListeners_;
};

// The TCP ports the internet listens on, and which of them a Space may reach.
inline const std::vector<int> kAllowedPorts = {80, 443, 8080};
inline const std::vector<int> kBlockedPorts = {22, 25, 5432, 9000};

}  // namespace spacelet::netpolicy::testing
