// Building the supervisor's node services from the configuration (see node.h).
#include "agent/supervisor/node.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <semaphore>
#include <sstream>

#include "agent/build/builder.h"
#include "agent/daemon/cgroup_placement.h"
#include "agent/monitor/monitor_state.h"
#include "agent/supervisor/live_settings.h"
#include "agent/supervisor/node_images.h"
#include "agent/supervisor/node_network.h"
#include "agent/supervisor/supervisor.h"
#include "spacelet/base/file_io.h"
#include "spacelet/base/log.h"

namespace spacelet::agent::supervisor {
namespace {

namespace fs = std::filesystem;

// What the supervisor owns besides itself; a base class so it is built first and goes last.
struct NodeResources {
  std::optional<image::ImageStore> images;
  std::unique_ptr<netpolicy::NetPolicy> network;
  std::unique_ptr<RouteTable> routes;
  std::unique_ptr<std::counting_semaphore<64>> buildSlots;
  std::unique_ptr<NodeImages> nodeImages;  // /v1/images, on the same store
  explicit NodeResources(ptrdiff_t slots)
      : buildSlots(std::make_unique<std::counting_semaphore<64>>(slots)) {}
};

class OwningSupervisor : private NodeResources, public Supervisor {
 public:
  OwningSupervisor(NodeResources&& resources, SupervisorOptions options, daemon::EventLoop& loop,
                   store::SpaceRegistry& registry)
      : NodeResources(std::move(resources)), Supervisor(wire(std::move(options)), loop, registry) {}

  api::ImageService* imageService() override { return nodeImages.get(); }

  // After construction: the store has reached its final place.
  Result<void> startImages(NodeImagesOptions options, daemon::EventLoop& loop,
                           store::SpaceRegistry& registry) {
    nodeImages = std::make_unique<NodeImages>(*images, std::move(options), loop, registry);
    return nodeImages->startWatermarkTimer();
  }

 private:
  SupervisorOptions wire(SupervisorOptions options) {
    options.node.images = &*images;
    options.node.network = network.get();
    options.node.buildSlots = buildSlots.get();
    options.routes = routes.get();
    return options;
  }
};

Result<void> makeDir(const std::string& path, mode_t mode) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return fail(Error{ec.value(), "create '" + path + "': " + ec.message()});
  ::chmod(path.c_str(), mode);
  return {};
}

Result<std::unique_ptr<netpolicy::NetPolicy>> openNetwork(const config::Config& c,
                                                          const std::string& exeDir) {
  std::string resolvConf;
  if (c.network.resolvers.empty()) {
    resolvConf = spaceResolvConf([](const std::string& path) {
      auto text = readFileAt(AT_FDCWD, path);
      return text ? std::move(*text) : std::string();
    });
  }
  // The nft helper beside the agent (a build tree, the package's libexec dir); else
  // netpolicy's default path, whose absence its startup check reports.
  auto net = netpolicyConfig(c, resolvConf, findHelper(exeDir, "spacelet-nft-helper", "netpolicy"));
  if (!net) return fail(std::move(net).error());
  if (net->resolvers.empty()) {
    log::warning(
        "Spaces have no DNS resolver: network.resolvers is empty and neither /etc/resolv.conf "
        "nor /run/systemd/resolve/resolv.conf names an IPv4 nameserver outside 127.0.0.0/8; "
        "set network.resolvers in the agent's config");
  }
  SPACELET_TRY(makeDir(net->stateDir, 0700));
  SPACELET_TRY(makeDir(net->netnsDir, 0755));
  return netpolicy::NetPolicy::open(std::move(*net));
}

// Starts spacelet-proxy unless the one recorded in <run>/proxy/proxy.pid still runs.
Result<void> ensureProxy(const config::Config& c, const std::string& proxyPath,
                         const std::string& dir) {
  std::string pidFile = dir + "/proxy.pid";
  if (auto text = readFileAt(AT_FDCWD, pidFile)) {
    std::istringstream words(*text);
    pid_t pid = 0;
    uint64_t start = 0;
    words >> pid >> start;
    auto stat = monitor::readProcStat(pid);
    if (stat && stat->state != 'Z' && stat->startTime == start) return {};
  }
  if (proxyPath.empty()) return failInvalid("spacelet-proxy was not found next to spaceletd");
  auto errors = openAt(AT_FDCWD, dir + "/proxy.log", O_WRONLY | O_CREAT | O_APPEND, 0640);
  if (!errors) return fail(std::move(errors).error());
  process::SpawnOptions options;
  options.argv = {proxyPath, "--routes", dir + "/routes.json", "--listen", c.proxy.listen};
  if (!c.network.nodeNetns.empty()) {
    options.argv.insert(options.argv.end(), {"--backend-netns", c.network.nodeNetns});
  }
  options.newSession = true;
  options.fds = {{errors->view(), 1}, {errors->view(), 2}};
  auto child = process::spawn(options);
  if (!child) return fail(std::move(child).error());
  pid_t pid = child->pid();
  auto stat = monitor::readProcStat(pid);
  std::string record = std::to_string(pid) + " " + std::to_string(stat ? stat->startTime : 0);
  SPACELET_TRY(writeFileAtomicAt(AT_FDCWD, pidFile, record + "\n", 0644));
  log::info("started spacelet-proxy (pid " + std::to_string(pid) + ") on " + c.proxy.listen);
  // The proxy outlives the agent; its Child is dropped without waiting for it.
  return {};
}

build::BuilderSettings builderSettings(const config::Config& c, const std::string& runtime,
                                       const daemon::CgroupPlacement& cgroups) {
  build::BuilderSettings b;
  b.runtimePath = runtime;
  b.workRoot = c.paths.stateDir + "/build/work";
  b.cacheRoot = c.paths.stateDir + "/build/cache";
  if (cgroups.systemd) {
    b.systemdSlice = cgroups.parent;
  } else {
    b.cgroupParent = cgroups.parent + "/spacelet-builds";
  }
  return b;
}

}  // namespace

std::string exeDir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : exe.parent_path().string();
}

std::string findHelper(const std::string& exeDir, const std::string& name,
                       const std::string& buildSubdir) {
  for (const std::string& candidate :
       {exeDir + "/" + name, exeDir + "/" + buildSubdir + "/" + name,
        exeDir + "/../" + buildSubdir + "/" + name, "/usr/libexec/spacelet/" + name,
        "/usr/lib/spacelet/" + name, "/usr/sbin/" + name, "/usr/bin/" + name}) {
    if (::access(candidate.c_str(), X_OK) == 0) return fs::weakly_canonical(candidate);
  }
  return "";
}

Result<std::unique_ptr<api::SpaceLifecycle>> openSupervisor(const NodeContext& ctx) {
  auto config = ctx.config();
  const config::Config& c = *config;
  std::string runtime = ::access(c.builds.runtimePath.c_str(), X_OK) == 0
                            ? c.builds.runtimePath
                            : findHelper(ctx.exeDir, "spacelet-run", "sandbox");
  std::string monitor = findHelper(ctx.exeDir, "spacelet-monitor", "monitor");
  if (runtime.empty() || monitor.empty()) {
    return failInvalid("spacelet-run ('" + c.builds.runtimePath +
                       "', builds.runtime_path) or "
                       "spacelet-monitor was not found; install spacelet or set the path");
  }
  // Before the first process is started: they inherit the agent's cgroup.
  auto cgroups = daemon::placeCgroups(ctx.cgroupRoot, c.cgroups);
  if (!cgroups) return fail(std::move(cgroups).error().withContext("cgroups"));
  std::string proxyDir = c.paths.runDir + "/proxy";
  SPACELET_TRY(makeDir(proxyDir, 0755));
  NodeResources resources(static_cast<ptrdiff_t>(std::min<uint64_t>(c.builds.maxConcurrent, 64)));
  image::StoreOptions storeOptions;
  storeOptions.root = c.paths.stateDir + "/images";
  // Imports and unpacked layers; a layer over the limit is refused naming the entry.
  storeOptions.unpack.limits.maxLayerBytes = static_cast<int64_t>(c.builds.maxLayerBytes);
  storeOptions.unpack.limits.maxEntryBytes =
      static_cast<int64_t>(std::min(c.builds.maxLayerFileBytes, c.builds.maxLayerBytes));
  storeOptions.unpack.limits.maxEntries = static_cast<int64_t>(c.builds.maxLayerEntries);
  auto images = image::ImageStore::open(storeOptions);
  if (!images) return fail(std::move(images).error().withContext("open the image store"));
  resources.images.emplace(std::move(*images));
  auto network = openNetwork(c, ctx.exeDir);
  if (!network) return fail(std::move(network).error().withContext("open the network policy"));
  resources.network = std::move(*network);
  auto routes = RouteTable::open(proxyDir + "/routes.json", proxyDir + "/routes.json.ack");
  if (!routes) return fail(std::move(routes).error());
  resources.routes = std::move(*routes);
  // The proxy starts with the first route (and again if it died); failing to start it is
  // logged: the Spaces still run and are reachable at their own addresses.
  resources.routes->setProxyStarter(
      [c = config, proxy = findHelper(ctx.exeDir, "spacelet-proxy", "proxy"), proxyDir] {
        if (auto ok = ensureProxy(*c, proxy, proxyDir); !ok) {
          log::error("front proxy: " + ok.error().message);
        }
      });

  SupervisorOptions o;
  o.node.stateDir = c.paths.stateDir;
  o.node.builder = builderSettings(c, runtime, *cgroups);
  SPACELET_TRY(makeDir(o.node.builder.workRoot, 0711));
  SPACELET_TRY(makeDir(o.node.builder.cacheRoot, 0700));
  o.node.nodeNetns = c.network.nodeNetns;
  o.node.runner.monitorPath = monitor;
  o.node.runner.runtimePath = runtime;
  o.node.runner.runtimeArgs = {"--root", c.paths.runDir + "/runtime"};
  o.node.runner.runtimeArgs.insert(o.node.runner.runtimeArgs.end(), cgroups->runtimeArgs.begin(),
                                   cgroups->runtimeArgs.end());
  o.node.runner.cgroupRoot = ctx.cgroupRoot;
  o.node.cgroups = *cgroups;
  o.node.domain = c.proxy.domain;
  o.node = withLiveSettings(std::move(o.node), c);
  o.backoff = {std::chrono::seconds(c.supervisor.backoffInitialSeconds),
               std::chrono::seconds(c.supervisor.backoffMaxSeconds),
               std::chrono::seconds(c.supervisor.backoffResetSeconds)};
  o.stopGrace = std::chrono::seconds(c.supervisor.stopGraceSeconds);
  o.fetchInterval = std::chrono::seconds(c.git.fetchIntervalSeconds);
  o.historyRetain = c.supervisor.deploymentsRetained;
  o.spacectlPath = findHelper(ctx.exeDir, "spacectl", "cli");
  o.socketPath = c.paths.socket;
  o.config = ctx.config;
  auto supervisor = std::make_unique<OwningSupervisor>(std::move(resources), std::move(o),
                                                       *ctx.loop, *ctx.registry);
  SPACELET_TRY(supervisor->startImages(
      {c.paths.stateDir, c.paths.stateDir + "/build/cache", ctx.config}, *ctx.loop, *ctx.registry));
  return std::unique_ptr<api::SpaceLifecycle>(std::move(supervisor));
}

}  // namespace spacelet::agent::supervisor
