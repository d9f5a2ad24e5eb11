// The end-to-end tests' node (see space_node.h).
#include "space_node.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace spacelet::e2e {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using spacelet::testing::CommandResult;
using spacelet::testing::runCommand;

// A loopback port nothing listens on now (the kernel's choice for port 0).
uint16_t freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tail(const std::string& text, size_t bytes) {
  return text.size() <= bytes ? text : text.substr(text.size() - bytes);
}

// Sends one request to 127.0.0.1:port and reads until the server closes (or 10 s).
Page httpGet(uint16_t port, const std::string& host, const std::string& path) {
  Page page;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return page;
  }
  std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return page;
  }
  std::string raw = agent::testing::readUntilClose(fd, std::chrono::seconds(10));
  ::close(fd);
  size_t end = raw.find("\r\n\r\n");
  if (raw.compare(0, 5, "HTTP/") != 0 || end == std::string::npos || raw.size() < 12) return page;
  page.status = std::atoi(raw.substr(9, 3).c_str());
  page.body = raw.substr(end + 4);
  return page;
}

// The config of a test node: everything small and quick, two flavors (a 64 MiB one for the
// OOM test), the node's network in `netns` with a resolver of its own.
std::string nodeConfig(const std::string& netns, uint16_t port) {
  // An explicit resolver: the node's /etc/resolv.conf may have none (the VM harness's has none).
  return "network:\n  node_netns: /run/netns/" + netns +
         "\n  resolvers: [192.0.2.53]\n"
         "proxy:\n  listen: 127.0.0.1:" +
         std::to_string(port) +
         "\n"
         "spaces:\n  default_hardware: e2e-basic\n  default_sleep_time: -1\n"
         "supervisor:\n  backoff_initial: 2s\n  backoff_max: 8s\n  backoff_reset: 10m\n"
         "  stop_grace: 2s\n  startup_timeout: 60s\n"
         "cgroup_driver: fs\n"
         "flavors:\n"
         "  e2e-basic:\n    description: \"e2e basic\"\n    cpus: 1\n    memory: 256Mi\n"
         "    pids_max: 256\n    tmp_size: 16Mi\n"
         "  e2e-tiny:\n    description: \"e2e tiny\"\n    cpus: 1\n    memory: 64Mi\n"
         "    pids_max: 256\n    tmp_size: 16Mi\n";
}

// The cgroup of this process in the v1 memory hierarchy (where the fs driver puts Spaces).
std::string ownMemoryCgroup() {
  std::istringstream lines(readText("/proc/self/cgroup"));
  for (std::string line; std::getline(lines, line);) {
    size_t first = line.find(':');
    size_t second = line.find(':', first + 1);
    if (second == std::string::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1);
    if (controllers == "memory" || (controllers.empty() && line.compare(0, 2, "0:") == 0)) {
      return line.substr(second + 1);
    }
  }
  return "/";
}

}  // namespace

std::string field(const nlohmann::json& object, const std::string& key) {
  if (!object.is_object() || !object.contains(key)) return "";
  const auto& value = object[key];
  if (value.is_string()) return value.get<std::string>();
  return value.is_null() ? "" : value.dump();
}

int64_t number(const nlohmann::json& object, const std::string& key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_number()) return 0;
  return object[key].get<int64_t>();
}

bool eventually(const std::function<bool()>& check, std::chrono::milliseconds limit) {
  auto deadline = Clock::now() + limit;
  for (;;) {
    if (check()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

SpaceNode::SpaceNode()
    : author_("e2e" + std::to_string(::getpid())),
      netns_("spacelet-e2e-" + std::to_string(::getpid())) {}

SpaceNode::~SpaceNode() {
  agent_.kill9();
  removeContainers(agent_.dir() + "/run/runtime");
  std::error_code ec;
  for (const auto& build : fs::directory_iterator(agent_.stateDir() + "/build/work", ec)) {
    removeContainers(build.path().string() + "/runtime");
  }
  endLeftoverProcesses();
  if (netnsMade_) runCommand({"ip", "netns", "delete", netns_});
  removeCgroups();
}

std::string SpaceNode::start(const std::string& buildsConfig) {
  if (auto why = spacelet::testing::requireRoot(); !why.empty()) return why;
  for (const char* tool : {"/usr/bin/git", "/usr/sbin/nft", "/usr/sbin/ip"}) {
    if (::access(tool, X_OK) != 0) return std::string(tool) + " is missing";
  }
  proxyPort_ = freeLoopbackPort();
  if (proxyPort_ == 0) return "no free loopback port for the front proxy";
  auto made = runCommand({"ip", "netns", "add", netns_});
  if (made.status != 0) return "ip netns add " + netns_ + ": " + made.output;
  netnsMade_ = true;
  runCommand({"ip", "-n", netns_, "link", "set", "lo", "up"});
  // The fixture's config ends with its builds: section, which these lines continue.
  agent_.writeConfig(buildsConfig + nodeConfig(netns_, proxyPort_));
  return agent_.start();
}

CommandResult SpaceNode::spacectl(const std::vector<std::string>& args, const std::string& input) {
  std::vector<std::string> argv = {agent::testing::spacectlPath(), "--socket", agent_.socket()};
  argv.insert(argv.end(), args.begin(), args.end());
  return runCommand(argv, input);
}

nlohmann::json SpaceNode::runtime(const std::string& id) {
  auto reply = spacectl({"--json", "runtime", id});
  auto j = nlohmann::json::parse(reply.output, nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

nlohmann::json SpaceNode::deployments(const std::string& id) {
  auto reply = spacectl({"--json", "deployments", id});
  auto j = nlohmann::json::parse(reply.output, nullptr, false);
  if (!j.is_object() || !j.contains("deployments")) return nlohmann::json::array();
  return j["deployments"];
}

CommandResult SpaceNode::push(const std::string& id, const Files& files,
                              const std::string& message) {
  std::string tree = agent_.dir() + "/src/" + id;
  std::error_code ec;
  bool fresh = !fs::exists(tree + "/.git", ec);
  fs::create_directories(tree, ec);
  if (fresh) {
    auto init = runCommand({"git", "-C", tree, "init", "-q", "-b", "main"});
    if (init.status != 0) return init;
  }
  for (const auto& [path, content] : files) {
    fs::create_directories(fs::path(tree + "/" + path).parent_path(), ec);
    std::ofstream(tree + "/" + path, std::ios::trunc) << content;
  }
  auto repo = spacectl({"repo", id});
  if (repo.status != 0) return repo;
  std::string url = repo.output.substr(0, repo.output.find('\n'));
  for (std::vector<std::string> step :
       {std::vector<std::string>{"git", "-C", tree, "add", "-A"},
        std::vector<std::string>{"git", "-C", tree, "-c", "user.name=e2e", "-c",
                                 "user.email=e2e@spacelet.test", "commit", "-q", "-m", message},
        std::vector<std::string>{"git", "-C", tree, "push", "-q", url, "HEAD:main"}}) {
    auto done = runCommand(step);
    if (done.status != 0) return done;
  }
  auto sha = runCommand({"git", "-C", tree, "rev-parse", "HEAD"});
  if (!sha.output.empty() && sha.output.back() == '\n') sha.output.pop_back();
  return sha;
}

CommandResult SpaceNode::createDockerSpaceAndPush(const std::string& id, const Files& files,
                                                  const std::string& message,
                                                  const std::vector<std::string>& createFlags) {
  std::vector<std::string> create = {"create", id, "--sdk", "docker"};
  create.insert(create.end(), createFlags.begin(), createFlags.end());
  auto created = spacectl(create);
  if (created.status != 0) return created;
  return push(id, files, message);
}

Page SpaceNode::get(const std::string& id, const std::string& path) {
  std::string host = id;
  for (char& c : host) c = c == '/' ? '-' : c;
  return httpGet(proxyPort_, host + ".localhost", path);
}

std::vector<std::string> SpaceNode::containers() {
  auto listed = runCommand(
      {spacelet::testing::runtimePath(), "--root", agent_.dir() + "/run/runtime", "list", "-q"});
  std::vector<std::string> names;
  std::istringstream lines(listed.output);
  for (std::string name; std::getline(lines, name);) {
    if (!name.empty()) names.push_back(name);
  }
  return names;
}

std::string SpaceNode::describe(const std::string& id) {
  return "runtime: " + runtime(id).dump(2) + "\ndeployments: " + deployments(id).dump(2) +
         "\nagent log (tail):\n" + tail(agent_.log(), 3000);
}

bool SpaceNode::waitStage(const std::string& id, const std::string& stage,
                          std::chrono::milliseconds limit) {
  return eventually([&] { return field(runtime(id), "stage") == stage; }, limit);
}

bool SpaceNode::waitServed(const std::string& id, const std::string& needle,
                           std::chrono::milliseconds limit, const std::string& path) {
  return eventually(
      [&] {
        Page page = get(id, path);
        return page.status == 200 && page.body.find(needle) != std::string::npos;
      },
      limit);
}

std::string SpaceNode::stateFile(const std::string& relative) const {
  return readText(agent_.stateDir() + "/" + relative);
}

void SpaceNode::removeContainers(const std::string& root) {
  if (!fs::exists(root)) return;
  auto listed = runCommand({spacelet::testing::runtimePath(), "--root", root, "list", "-q"});
  std::istringstream lines(listed.output);
  for (std::string name; std::getline(lines, name);) {
    if (name.empty()) continue;
    runCommand({spacelet::testing::runtimePath(), "--root", root, "delete", "--force", name});
  }
}

// Monitors, the front proxy and build runtimes the agent started name this node's directory
// on their command lines; they are ended by pid, and only they.
void SpaceNode::endLeftoverProcesses() {
  const std::string mark = agent_.dir() + "/";
  std::vector<pid_t> ours;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = readText(entry.path().string() + "/cmdline");
    for (char& c : cmdline) c = c == '\0' ? ' ' : c;
    pid_t pid = std::stoi(name);
    if (pid != ::getpid() && cmdline.find(mark) != std::string::npos) ours.push_back(pid);
  }
  for (pid_t pid : ours) ::kill(pid, SIGKILL);
  // Reparented to init (or a subreaper): wait until they are gone, briefly.
  eventually(
      [&] {
        for (pid_t pid : ours) {
          if (::kill(pid, 0) == 0 &&
              readText("/proc/" + std::to_string(pid) + "/stat").find(") Z") == std::string::npos) {
            return false;
          }
        }
        return true;
      },
      std::chrono::seconds(5));
}

// The containers' cgroups (delete removes them; a container the runtime lost may leave its
// empty directories), then the kind folders when nothing else uses them.
void SpaceNode::removeCgroups() {
  std::string own = ownMemoryCgroup();
  std::error_code ec;
  for (const auto& hierarchy : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    std::string base = hierarchy.path().string() + (own == "/" ? "" : own);
    for (const char* kind : {"spacelet-spaces", "spacelet-builds"}) {
      std::string dir = base + "/" + kind;
      std::error_code listError;
      for (const auto& child : fs::directory_iterator(dir, listError)) {
        std::string name = child.path().filename();
        if (name.rfind(author_ + "--", 0) == 0 ||
            name.rfind("spacelet-build-" + author_ + "--", 0) == 0) {
          ::rmdir(child.path().c_str());
        }
      }
      ::rmdir(dir.c_str());  // fails (EBUSY) while another agent's containers are there
    }
  }
}

}  // namespace spacelet::e2e
