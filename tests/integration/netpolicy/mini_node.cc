// The miniature node of the netpolicy integration tests (see mini_node.h). Topology is built
// with iproute2 (independent of the code under test); listeners and probes are sockets made
// on threads that joined a namespace.
#include "mini_node.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>

#include "netns.h"
#include "spacelet/base/file_io.h"

namespace spacelet::netpolicy::testing {
namespace {

using Clock = std::chrono::steady_clock;

// A DNS query for example.com/A with id 0x5ace; the responder echoes it with QR set.
const std::string kDnsQuery = std::string("\x5a\xce\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12) +
                              std::string(
                                  "\x07"
                                  "example\x03"
                                  "com\x00\x00\x01\x00\x01",
                                  17);

sockaddr_storage toSockaddr(const IpAddress& a, int port, socklen_t& len) {
  sockaddr_storage ss{};
  if (a.isV4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<uint16_t>(port));
    std::memcpy(&in->sin_addr, a.bytes.data(), 4);
    len = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    std::memcpy(&in6->sin6_addr, a.bytes.data(), 16);
    len = sizeof(sockaddr_in6);
  }
  return ss;
}

UniqueFd openNs(const std::string& path) {
  auto fd = openAt(AT_FDCWD, path, O_RDONLY);
  return fd ? std::move(*fd) : UniqueFd();
}

Result<UniqueFd> listenOn(const Endpoint& e) {
  IpAddress any{Family::kIpv6, {}};
  IpAddress addr = e.address.empty() ? any : *IpAddress::parse(e.address);
  int type = e.proto == Proto::kTcp ? SOCK_STREAM : SOCK_DGRAM;
  UniqueFd s(::socket(addr.isV4() ? AF_INET : AF_INET6, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!s) return failErrno(errno, "socket");
  int zero = 0, one = 1;
  ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (!addr.isV4()) ::setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  socklen_t len = 0;
  sockaddr_storage ss = toSockaddr(addr, e.port, len);
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    return failErrno(errno, "bind " + e.address + ":" + std::to_string(e.port));
  }
  if (e.proto == Proto::kTcp && ::listen(s.get(), 64) != 0) return failErrno(errno, "listen");
  return s;
}

// Waits for `events` on fd until the deadline; returns the revents (0 on timeout).
short waitFor(int fd, short events, Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  pollfd p{fd, events, 0};
  int n = ::poll(&p, 1, std::max<int>(0, static_cast<int>(left.count())));
  return n > 0 ? p.revents : 0;
}

Outcome outcomeOf(int err) {
  switch (err) {
    case 0:
      return Outcome::kConnected;
    case ECONNREFUSED:
    case ECONNRESET:
      return Outcome::kRefused;
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EACCES:
    case EPERM:
      return Outcome::kUnreachable;
    default:
      return Outcome::kError;
  }
}

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Reads what the peer sends until it closes, an error, or the deadline.
void readReply(int fd, Clock::time_point deadline, Probe& p) {
  char buf[512];
  while (waitFor(fd, POLLIN, deadline) != 0) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (n < 0 && p.reply.empty()) {
        p.error = errno;
        p.outcome = outcomeOf(errno);
      }
      return;
    }
    p.reply.append(buf, static_cast<size_t>(n));
    if (p.reply.find('\n') != std::string::npos || p.reply.size() >= kDnsQuery.size()) return;
  }
}

Probe tcpProbe(int fd, const sockaddr_storage& ss, socklen_t len, int port, Clock::time_point start,
               Clock::time_point deadline) {
  Probe p;
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len);
  int err = rc == 0 ? 0 : errno;
  if (err == EINPROGRESS) {
    if (waitFor(fd, POLLOUT, deadline) == 0) {
      p.outcome = Outcome::kTimeout;
      p.elapsedMs = msSince(start);
      return p;
    }
    socklen_t elen = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
  }
  p.elapsedMs = msSince(start);
  p.error = err;
  p.outcome = outcomeOf(err);
  if (p.outcome != Outcome::kConnected) return p;
  if (port == 53) {
    std::string framed = std::string{0, static_cast<char>(kDnsQuery.size())} + kDnsQuery;
    (void)!::send(fd, framed.data(), framed.size(), MSG_NOSIGNAL);
  }
  readReply(fd, deadline, p);
  return p;
}

Probe udpProbe(int fd, const sockaddr_storage& ss, socklen_t len, int port, Clock::time_point start,
               Clock::time_point deadline) {
  Probe p;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
    p.error = errno;
    p.outcome = outcomeOf(errno);
    return p;
  }
  std::string payload = port == 53 ? kDnsQuery : std::string("ping\n");
  if (::send(fd, payload.data(), payload.size(), 0) < 0) {
    p.error = errno;
    p.outcome = outcomeOf(errno);
    p.elapsedMs = msSince(start);
    return p;
  }
  p.outcome = Outcome::kTimeout;
  readReply(fd, deadline, p);
  if (!p.reply.empty()) p.outcome = Outcome::kConnected;
  p.elapsedMs = msSince(start);
  return p;
}

}  // namespace

void mustRun(const std::vector<std::string>& argv) {
  auto r = spacelet::testing::runCommand(argv);
  std::string cmd;
  for (const auto& a : argv) cmd += a + " ";
  ASSERT_EQ(r.status, 0) << cmd << "\n" << r.output;
}

std::string output(const std::vector<std::string>& argv) {
  auto r = spacelet::testing::runCommand(argv);
  EXPECT_EQ(r.status, 0) << argv[0] << ": " << r.output;
  return r.output;
}

NamedNetns::NamedNetns(std::string name) : name_(std::move(name)) {
  mustRun({"ip", "netns", "add", name_});
  ip({"link", "set", "lo", "up"});
}

NamedNetns::~NamedNetns() {
  spacelet::testing::runCommand({"ip", "netns", "del", name_});
}

void NamedNetns::ip(std::vector<std::string> args) const {
  args.insert(args.begin(), {"ip", "-n", name_});
  mustRun(args);
}

int conntrackCount(const NamedNetns& ns, const std::vector<std::string>& filter) {
  std::vector<std::string> argv = {"ip", "netns", "exec", ns.name(), "conntrack", "-L"};
  argv.insert(argv.end(), filter.begin(), filter.end());
  auto r = spacelet::testing::runCommand(argv);
  // conntrack prints "... N flow entries have been shown." on stderr, also for zero.
  auto at = r.output.find(" flow entries");
  EXPECT_NE(at, std::string::npos) << r.output;
  if (at == std::string::npos) return -1;
  auto start = r.output.rfind(' ', at - 1);
  return std::stoi(r.output.substr(start + 1, at - start - 1));
}

const char* outcomeName(Outcome o) {
  switch (o) {
    case Outcome::kConnected:
      return "connected";
    case Outcome::kRefused:
      return "refused";
    case Outcome::kUnreachable:
      return "unreachable";
    case Outcome::kTimeout:
      return "timeout";
    case Outcome::kError:
      return "error";
  }
  return "?";
}

Listeners::Listeners(const std::string& netnsPath, const std::vector<Endpoint>& endpoints)
    : endpoints_(endpoints), stop_(::eventfd(0, EFD_CLOEXEC)) {
  UniqueFd ns = openNs(netnsPath);
  for (const auto& e : endpoints_) {
    hits_[{e.proto, e.port}];
    auto s = runInNetns(ns.view(), [&] { return listenOn(e); });
    EXPECT_TRUE(s) << netnsPath << ": " << s.error().message;
    sockets_.push_back(s ? std::move(*s) : UniqueFd());
  }
  thread_ = std::thread([this] { serve(); });
}

Listeners::~Listeners() {
  uint64_t one = 1;
  (void)!::write(stop_.get(), &one, sizeof one);
  thread_.join();
}

int Listeners::hits(Proto proto, int port) const {
  auto it = hits_.find({proto, port});
  return it == hits_.end() ? 0 : it->second.load();
}

void Listeners::serve() {
  std::vector<pollfd> fds;
  for (const auto& s : sockets_) fds.push_back({s.get(), POLLIN, 0});
  fds.push_back({stop_.get(), POLLIN, 0});
  for (;;) {
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;
    if (fds.back().revents) return;
    for (size_t i = 0; i + 1 < fds.size(); ++i) {
      if (fds[i].revents & POLLIN) handle(i);
    }
  }
}

void Listeners::handle(size_t i) {
  const Endpoint& e = endpoints_[i];
  int fd = sockets_[i].get();
  char buf[512];
  if (e.proto == Proto::kUdp) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &len);
    if (n <= 0) return;
    ++hits_[{e.proto, e.port}];
    if (e.port == 53 && n > 2) buf[2] = static_cast<char>(buf[2] | 0x80);
    (void)!::sendto(fd, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&peer), len);
    return;
  }
  UniqueFd conn(::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) return;
  ++hits_[{e.proto, e.port}];
  std::string reply = "hi " + std::to_string(e.port) + "\n";
  if (e.port == 53) {
    pollfd p{conn.get(), POLLIN, 0};
    ssize_t n = ::poll(&p, 1, 1000) > 0 ? ::recv(conn.get(), buf, sizeof buf, 0) : -1;
    if (n < 4) return;
    buf[4] = static_cast<char>(buf[4] | 0x80);  // after the 2-byte length prefix
    reply.assign(buf + 2, static_cast<size_t>(n - 2));
  }
  (void)!::send(conn.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
}

Probe probe(const std::string& netnsPath, const IpAddress& address, int port, Proto proto,
            std::chrono::milliseconds timeout, const IpAddress* source) {
  UniqueFd ns = openNs(netnsPath);
  auto result = runInNetns(ns.view(), [&]() -> Result<Probe> {
    int type = proto == Proto::kTcp ? SOCK_STREAM : SOCK_DGRAM;
    UniqueFd s(
        ::socket(address.isV4() ? AF_INET : AF_INET6, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!s) return failErrno(errno, "socket");
    if (source) {
      socklen_t len = 0;
      sockaddr_storage from = toSockaddr(*source, 0, len);
      if (::bind(s.get(), reinterpret_cast<sockaddr*>(&from), len) != 0) {
        return failErrno(errno, "bind " + source->toString());
      }
    }
    socklen_t len = 0;
    sockaddr_storage to = toSockaddr(address, port, len);
    auto start = Clock::now();
    auto deadline = start + timeout;
    return proto == Proto::kTcp ? tcpProbe(s.get(), to, len, port, start, deadline)
                                : udpProbe(s.get(), to, len, port, start, deadline);
  });
  EXPECT_TRUE(result) << result.error().message;
  return result ? *result : Probe{};
}

MiniNode::MiniNode(bool ipv6) : ipv6_(ipv6) {
  // Unique per process and per node: the pid's low 16 bits and a counter (6 hex digits).
  static std::atomic<unsigned> counter{0};
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04x%02x", static_cast<unsigned>(::getpid()) & 0xffff,
                counter++ & 0xff);
  suffix_ = buf;
  node_ = std::make_unique<NamedNetns>("spn" + suffix_);
  internet_ = std::make_unique<NamedNetns>("spi" + suffix_);
  wireUplink();
  startListeners();
}

MiniNode::~MiniNode() {
  internetListeners_.reset();
  nodeListeners_.reset();
}

void MiniNode::wireUplink() {
  std::string up = "u" + suffix_ + "n", peer = "u" + suffix_ + "i";
  node_->ip({"link", "add", up, "type", "veth", "peer", "name", peer, "netns", internet_->name()});
  node_->ip({"addr", "add", std::string(kResolver4) + "/32", "dev", "lo"});
  node_->ip({"addr", "add", std::string(kNodeUplink4) + "/24", "dev", up});
  node_->ip({"link", "set", up, "up"});
  node_->ip({"route", "add", "default", "via", kInternet4});
  internet_->ip({"addr", "add", std::string(kInternet4) + "/24", "dev", peer});
  internet_->ip({"addr", "add", std::string(kPrivate4) + "/32", "dev", "lo"});
  internet_->ip({"addr", "add", std::string(kMetadata4) + "/32", "dev", "lo"});
  internet_->ip({"link", "set", peer, "up"});
  internet_->ip({"route", "add", kPool4, "via", kNodeUplink4});
  if (!ipv6_) return;
  node_->ip({"addr", "add", std::string(kResolver6) + "/128", "dev", "lo"});
  node_->ip({"addr", "add", std::string(kNodeUplink6) + "/64", "dev", up, "nodad"});
  node_->ip({"-6", "route", "add", "default", "via", kInternet6});
  internet_->ip({"addr", "add", std::string(kInternet6) + "/64", "dev", peer, "nodad"});
  internet_->ip({"addr", "add", std::string(kUla6) + "/128", "dev", "lo"});
  internet_->ip({"-6", "route", "add", kPool6, "via", kNodeUplink6});
  // A NODAD IPv6 address is routed locally only once the kernel's addrconf work has run (later
  // under load); until then it drops what it receives. Wait for the uplink's addresses.
  for (auto [ns, address] : {std::pair{node_.get(), kNodeUplink6},
                             {internet_.get(), kInternet6},
                             {node_.get(), kResolver6},
                             {internet_.get(), kUla6}}) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (output({"ip", "-n", ns->name(), "-6", "route", "get", address}).rfind("local", 0) != 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
}

void MiniNode::startListeners() {
  std::vector<Endpoint> internet;
  for (int port : {80, 443, 8080, 22, 25, 5432, 9000, 53})
    internet.push_back({Proto::kTcp, "", port});
  for (int port : {443, 53}) {
    internet.push_back({Proto::kUdp, kInternet4, port});
    if (ipv6_) internet.push_back({Proto::kUdp, kInternet6, port});
  }
  internetListeners_ = std::make_unique<Listeners>(internet_->path(), internet);
  std::vector<Endpoint> node = {{Proto::kTcp, "", 80},
                                {Proto::kTcp, "", 53},
                                {Proto::kUdp, kResolver4, 53},
                                {Proto::kUdp, kNodeUplink4, 53}};
  if (ipv6_) node.push_back({Proto::kUdp, kResolver6, 53});
  nodeListeners_ = std::make_unique<Listeners>(node_->path(), node);
}

IpAddress MiniNode::v4(const char* text) {
  return *IpAddress::parse(text);
}

Config MiniNode::config() const {
  Config c;
  c.nodeNetns = node_->path();
  c.netnsDir = stateRoot_ / "netns";
  c.stateDir = stateRoot_ / "state";
  c.nftHelperPath = SPACELET_TEST_NFT_HELPER;
  c.ipv4Pool = *Prefix::parse(kPool4);
  c.resolvers = {*IpAddress::parse(kResolver4)};
  if (ipv6_) {
    c.ipv6Prefix = *Prefix::parse(kPool6);
    c.resolvers.push_back(*IpAddress::parse(kResolver6));
  }
  return c;
}

}  // namespace spacelet::netpolicy::testing
