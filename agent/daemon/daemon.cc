// spaceletd's start-up steps, reload and shutdown (see daemon.h).
#include "agent/daemon/daemon.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "agent/config/load.h"
#include "agent/config/settings.h"
#include "agent/daemon/instance_lock.h"
#include "agent/daemon/node_facts.h"
#include "agent/daemon/notify.h"
#include "agent/daemon/recording_lifecycle.h"
#include "agent/secrets/node_key.h"
#include "spacelet/base/log.h"

namespace spacelet::agent::daemon {
namespace {

Result<void> makeDirectory(const std::string& path, mode_t mode) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return fail(Error{ec.value(), "create directory '" + path + "': " + ec.message()});
  if (::chmod(path.c_str(), mode) != 0) return failErrno(errno, "chmod '" + path + "'");
  return {};
}

}  // namespace

Daemon::Daemon(DaemonOptions options, config::Config config)
    : options_(std::move(options)),
      config_(std::make_shared<const config::Config>(std::move(config))) {}

Daemon::~Daemon() {
  // Streams hold event subscriptions and inotify watches: the server goes first.
  server_.reset();
  api_.reset();
  releaseListenSocket(socket_);
}

Result<std::unique_ptr<Daemon>> Daemon::create(DaemonOptions options, config::Config config) {
  std::unique_ptr<Daemon> d(new Daemon(std::move(options), std::move(config)));
  auto loop = EventLoop::create();
  if (!loop) return fail(std::move(loop).error());
  d->loop_ = std::move(*loop);
  SPACELET_TRY_CONTEXT(d->handleSignals(), "start");
  SPACELET_TRY_CONTEXT(d->openState(), "open state");
  SPACELET_TRY_CONTEXT(d->openSocket(), "open the API socket");
  SPACELET_TRY_CONTEXT(d->startApi(), "start the API");
  return d;
}

Result<void> Daemon::openState() {
  const config::Paths& paths = config_->paths;
  SPACELET_TRY(makeDirectory(paths.stateDir, 0750));
  SPACELET_TRY(makeDirectory(paths.runDir, 0755));
  auto lock = lockStateDir(paths.stateDir);
  if (!lock) return fail(std::move(lock).error());
  stateLock_ = std::move(*lock);
  auto key = secrets::loadOrCreateNodeKey({options_.credentialsDir, paths.nodeKey});
  if (!key) return fail(std::move(key).error());
  log::info("node key from " + key->source() + " (key id " + key->id() + ")");
  box_ = std::make_unique<secrets::SecretBox>(std::move(*key));
  store::RegistryOptions ro;
  ro.stateDir = paths.stateDir;
  ro.box = box_.get();
  ro.eventsRetained = config_->logs.eventsRetained;
  auto registry = store::SpaceRegistry::open(std::move(ro));
  if (!registry) return fail(std::move(registry).error());
  registry_ = std::move(*registry);
  if (options_.lifecycle) {
    auto lifecycle = options_.lifecycle(
        LifecycleContext{registry_.get(), loop_.get(), [this] { return config_; }});
    if (!lifecycle) return fail(std::move(lifecycle).error());
    lifecycle_ = std::move(*lifecycle);
  } else {
    lifecycle_ = std::make_unique<RecordingLifecycle>(*registry_);
  }
  return lifecycle_->start();
}

Result<void> Daemon::openSocket() {
  auto group = lookupGroup(config_->paths.socketGroup);
  if (!group) return fail(std::move(group).error());
  bool passed = ::getenv("LISTEN_FDS") != nullptr;
  if (!*group && !passed) {
    return failInvalid("group '" + config_->paths.socketGroup +
                       "' (paths.socket_group) does not exist; create it (systemd-sysusers, or "
                       "groupadd --system " +
                       config_->paths.socketGroup + ") or choose another");
  }
  auto socket = acquireListenSocket({config_->paths.socket, config_->paths.socketMode, *group});
  if (!socket) return fail(std::move(socket).error());
  socket_ = std::move(*socket);
  return {};
}

Result<void> Daemon::startApi() {
  auto watcher = api::FileWatcher::create(*loop_);
  if (!watcher) return fail(std::move(watcher).error());
  watcher_ = std::move(*watcher);
  auto group = lookupGroup(config_->paths.socketGroup);
  api::ApiContext ctx;
  ctx.registry = registry_.get();
  ctx.lifecycle = lifecycle_.get();
  ctx.gpus = [this] { return lifecycle_->gpus(); };
  ctx.images = lifecycle_->imageService();
  ctx.watcher = watcher_.get();
  ctx.config = [this] { return config_; };
  ctx.node = readNodeFacts(options_.version, options_.cgroupRoot);
  ctx.group = group ? *group : std::nullopt;
  ctx.ownUid = ::geteuid();
  ctx.activeStreams = [this] { return server_ ? server_->activeStreams() : 0; };
  api_ = std::make_unique<api::Api>(std::move(ctx));
  const config::Api& a = config_->api;
  api::ServerOptions so{a.maxBodyBytes, static_cast<unsigned>(a.maxConnections),
                        static_cast<unsigned>(a.idleTimeoutSeconds),
                        std::chrono::seconds(a.streamHeartbeatSeconds)};
  auto server = api::HttpServer::start(*loop_, std::move(socket_.fd), so,
                                       [this](api::Request& r) { return api_->handle(r); });
  if (!server) return fail(std::move(server).error());
  server_ = std::move(*server);
  return {};
}

Result<void> Daemon::handleSignals() {
  for (auto [sig, action] :
       std::initializer_list<std::pair<int, void (Daemon::*)()>>{{SIGTERM, &Daemon::beginShutdown},
                                                                 {SIGINT, &Daemon::beginShutdown},
                                                                 {SIGHUP, &Daemon::reload}}) {
    auto source = loop_->addSignal(sig, [this, action] { (this->*action)(); });
    if (!source) return fail(std::move(source).error());
    signals_.push_back(std::move(*source));
  }
  return {};
}

}  // namespace spacelet::agent::daemon
