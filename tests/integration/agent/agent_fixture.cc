// Implementation of the spaceletd test support (see agent_fixture.h).
#include "agent_fixture.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace spacelet::agent::testing {
namespace {

using Clock = std::chrono::steady_clock;

int connectTo(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void sendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may close early (413): the reply tells the rest
    off += static_cast<size_t>(n);
  }
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Splits "HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody" into status, headers and the rest.
bool parseHead(const std::string& raw, HttpReply& reply, size_t& bodyStart) {
  size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  std::istringstream head(raw.substr(0, end));
  std::string line;
  std::getline(head, line);
  if (line.size() < 12) return false;
  reply.status = std::atoi(line.substr(9, 3).c_str());
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    reply.headers[lower(line.substr(0, colon))] = value;
  }
  bodyStart = end + 4;
  return true;
}

std::string dechunk(const std::string& data) {
  std::string out;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t eol = data.find("\r\n", pos);
    if (eol == std::string::npos) break;
    size_t size = std::stoul(data.substr(pos, eol - pos), nullptr, 16);
    if (size == 0) break;
    out += data.substr(eol + 2, size);
    pos = eol + 2 + size + 2;
  }
  return out;
}

std::string groupName(gid_t gid) {
  std::vector<char> buf(16384);
  struct group grp {};
  struct group* result = nullptr;
  if (::getgrgid_r(gid, &grp, buf.data(), buf.size(), &result) != 0 || !result)
    return std::to_string(gid);
  return result->gr_name;
}

}  // namespace

nlohmann::json HttpReply::json() const {
  return nlohmann::json::parse(body, nullptr, false);
}

std::string HttpReply::errorMessage() const {
  auto j = json();
  if (!j.is_object() || !j.contains("error")) return "";
  return j["error"].value("message", "");
}

std::string readUntilClose(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  auto deadline = Clock::now() + timeout;
  char buf[65536];
  for (;;) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    struct pollfd p = {fd, POLLIN, 0};
    int ready = left <= 0 ? 0 : ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;  // a child's SIGCHLD, not the end of the reply
    if (ready <= 0) break;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string rawExchange(const std::string& socket, const std::string& bytes,
                        std::chrono::milliseconds timeout) {
  int fd = connectTo(socket);
  if (fd < 0) return "";
  sendAll(fd, bytes);
  std::string out = readUntilClose(fd, timeout);
  ::close(fd);
  return out;
}

HttpReply httpRequest(const std::string& socket, const std::string& method, const std::string& path,
                      const std::string& body, const std::vector<std::string>& extraHeaders) {
  std::string request =
      method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  for (const auto& h : extraHeaders) request += h + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  std::string raw = rawExchange(socket, request);
  HttpReply reply;
  size_t start = 0;
  if (!parseHead(raw, reply, start)) return reply;
  std::string rest = raw.substr(start);
  reply.body = reply.headers["transfer-encoding"] == "chunked" ? dechunk(rest) : rest;
  return reply;
}

HttpStream::HttpStream(const std::string& socket, const std::string& path,
                       const std::string& accept) {
  fd_ = connectTo(socket);
  if (fd_ < 0) return;
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  if (!accept.empty()) request += "Accept: " + accept + "\r\n";
  sendAll(fd_, request + "\r\n");
  auto deadline = Clock::now() + std::chrono::seconds(5);
  HttpReply head;
  size_t start = 0;
  while (!parseHead(raw_, head, start)) {
    if (!fill(deadline)) return;
  }
  status_ = head.status;
  raw_.erase(0, start);
}

HttpStream::~HttpStream() {
  if (fd_ >= 0) ::close(fd_);
}

bool HttpStream::fill(Clock::time_point deadline) {
  if (fd_ < 0 || ended_) return false;
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  struct pollfd p = {fd_, POLLIN, 0};
  if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
  char buf[65536];
  ssize_t n = ::read(fd_, buf, sizeof buf);
  if (n <= 0) {
    ended_ = true;
    return false;
  }
  raw_.append(buf, static_cast<size_t>(n));
  return true;
}

bool HttpStream::decodeChunks() {
  bool progressed = false;
  for (;;) {
    size_t eol = raw_.find("\r\n");
    if (eol == std::string::npos) return progressed;
    size_t size = std::stoul(raw_.substr(0, eol), nullptr, 16);
    if (size == 0) {
      ended_ = true;
      return true;
    }
    if (raw_.size() < eol + 2 + size + 2) return progressed;
    body_ += raw_.substr(eol + 2, size);
    raw_.erase(0, eol + 2 + size + 2);
    progressed = true;
  }
}

std::optional<std::string> HttpStream::nextLine(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    decodeChunks();
    size_t nl = body_.find('\n');
    if (nl != std::string::npos) {
      std::string line = body_.substr(0, nl);
      body_.erase(0, nl + 1);
      return line;
    }
    if (ended_ || !fill(deadline)) return std::nullopt;
  }
}

std::optional<std::string> HttpStream::lineContaining(const std::string& needle,
                                                      std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    auto line = nextLine(left);
    if (!line) return std::nullopt;
    if (line->find(needle) != std::string::npos) return line;
  }
  return std::nullopt;
}

std::string spaceletdPath() {
  return spacelet::testing::binaryDir() + "/agent/spaceletd";
}

std::string spacectlPath() {
  return spacelet::testing::binaryDir() + "/agent/spacectl";
}

AgentInstance::AgentInstance(const std::string& extraConfig, const std::string& pathsExtra)
    : dir_("spaceletd-test") {
  writeConfig(extraConfig, pathsExtra);
  notifyFd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", (dir_ / "notify.sock").c_str());
  ::bind(notifyFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
}

AgentInstance::~AgentInstance() {
  if (child_) kill9();
  if (notifyFd_ >= 0) ::close(notifyFd_);
  if (!cgroup_.empty()) {
    // Deepest first: the agent's leaf, the Spaces' and builds' cgroups (emptied by the test's
    // deletes; one still holding a process stays, and says so in the VM's leftovers).
    std::vector<std::string> dirs;
    std::error_code ec;
    for (const auto& e : std::filesystem::recursive_directory_iterator(cgroup_, ec)) {
      if (e.is_directory(ec)) dirs.push_back(e.path());
    }
    std::sort(dirs.rbegin(), dirs.rend());
    for (const auto& d : dirs) ::rmdir(d.c_str());
    ::rmdir(cgroup_.c_str());
  }
}

void AgentInstance::writeConfig(const std::string& extraConfig, const std::string& pathsExtra) {
  std::ofstream out(configPath());
  out << "paths:\n  state_dir: " << stateDir() << "\n  run_dir: " << (dir_ / "run")
      << "\n  socket: " << socket() << "\n  socket_group: " << groupName(::getegid())
      << "\n  node_key: " << (dir_ / "node.key") << "\n"
      << pathsExtra << "builds:\n  runtime_path: " << spacelet::testing::runtimePath() << "\n"
      << extraConfig;
}

std::string AgentInstance::log() const {
  std::ifstream in(logPath());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> AgentInstance::notifications(std::chrono::milliseconds wait) {
  auto deadline = Clock::now() + wait;
  do {
    char buf[4096];
    for (ssize_t n; (n = ::recv(notifyFd_, buf, sizeof buf, 0)) > 0;)
      received_.emplace_back(buf, static_cast<size_t>(n));
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (true);
  return received_;
}

std::string AgentInstance::start(const std::vector<std::string>& extraEnv) {
  process::SpawnOptions o;
  o.argv = {spaceletdPath(), "--config", configPath()};
  // On pure cgroup v2 the agent starts in a cgroup of its own beside the test's, as a service
  // manager would start it (it then moves into <own>/agent, so that its Spaces' cgroups can
  // get controllers), and not in the test's own, which holds the test. Started again, it goes
  // straight into that leaf: its cgroup hands out controllers and may hold no process.
  if (auto parent = spacelet::testing::v2ContainerParent()) {
    if (cgroup_.empty()) {
      static int instances = 0;
      cgroup_ = "/sys/fs/cgroup" + *parent + "/spaceletd-" + std::to_string(::getpid()) + "-" +
                std::to_string(++instances);
      if (::mkdir(cgroup_.c_str(), 0755) != 0 && errno != EEXIST) {
        return "create the agent's cgroup '" + cgroup_ + "': " + std::strerror(errno);
      }
    }
    o.argv.insert(
        o.argv.begin(),
        {"/bin/sh", "-c",
         "d=$0; [ -d $d/agent ] && d=$d/agent; echo $$ > $d/cgroup.procs && exec \"$@\"", cgroup_});
  }
  o.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "NOTIFY_SOCKET=" + (dir_ / "notify.sock")};
  o.env.insert(o.env.end(), extraEnv.begin(), extraEnv.end());
  int logFd = ::open(logPath().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  UniqueFd logOwner(logFd);
  o.fds = {{FdView(logFd), 1}, {FdView(logFd), 2}};
  received_.clear();
  auto child = process::spawn(o);
  if (!child) return child.error().message;
  child_ = std::move(*child);
  auto deadline = Clock::now() + std::chrono::seconds(15);
  while (Clock::now() < deadline) {
    for (const auto& n : notifications(std::chrono::milliseconds(20))) {
      if (n.find("READY=1") != std::string::npos) return "";
    }
    auto reaped = child_->tryReap();
    if (reaped && reaped->has_value()) {
      child_.reset();
      return "spaceletd exited (" + (*reaped)->describe() + "):\n" + log();
    }
  }
  return "spaceletd did not report READY=1 within 15s:\n" + log();
}

int AgentInstance::stop() {
  if (!child_) return -1;
  (void)child_->signal(SIGTERM);
  auto status = child_->wait();
  child_.reset();
  return status ? status->shellStatus() : -1;
}

void AgentInstance::kill9() {
  if (!child_) return;
  (void)child_->signal(SIGKILL);
  (void)child_->wait();
  child_.reset();
}

spacelet::testing::CommandResult AgentInstance::runToExit(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {spaceletdPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  return spacelet::testing::runCommand(argv);
}

}  // namespace spacelet::agent::testing
