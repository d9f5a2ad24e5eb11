// spaceletd while it runs: readiness and status for systemd, SIGHUP reload, SIGTERM shutdown
// (see daemon.h).
#include <unistd.h>

#include "agent/config/load.h"
#include "agent/config/settings.h"
#include "agent/daemon/daemon.h"
#include "agent/daemon/notify.h"
#include "spacelet/base/log.h"

namespace spacelet::agent::daemon {
namespace {

constexpr auto kStatusEvery = std::chrono::seconds(2);
constexpr auto kDrainCheckEvery = std::chrono::milliseconds(20);

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out.empty() ? "nothing" : out;
}

}  // namespace

Result<int> Daemon::run() {
  SPACELET_TRY(loop_->enableWatchdog());
  auto timer = loop_->addTimer(kStatusEvery, [this] { refreshStatus(); });
  if (!timer) return fail(std::move(timer).error());
  statusTimer_ = std::move(*timer);
  lastStatus_ = statusLine();
  std::string where = socket_.activated ? "the socket systemd passed" : "'" + socket_.path + "'";
  log::info("serving the API on " + where + " with " + std::to_string(registry_->size()) +
            " Spaces");
  notifyReady(lastStatus_);
  return loop_->run();
}

std::string Daemon::statusLine() const {
  size_t errors = 0, paused = 0;
  for (const store::Space* s : registry_->list()) {
    std::string_view stage = store::stageName(s->stage);
    if (stage.ends_with("_ERROR")) ++errors;
    if (s->stage == store::Stage::kPaused) ++paused;
  }
  return std::to_string(registry_->size()) + " Spaces (" + std::to_string(errors) + " in error, " +
         std::to_string(paused) + " paused), " + std::to_string(server_->activeStreams()) +
         " streams, " + std::to_string(server_->openConnections()) + " connections";
}

void Daemon::refreshStatus() {
  std::string line = statusLine();
  if (line != lastStatus_ && !stopping_) {
    lastStatus_ = line;
    notifyStatus(line);
  }
  (void)statusTimer_.rearm(kStatusEvery);
}

void Daemon::reload() {
  if (stopping_) return;
  notifyReloading();
  auto loaded = config::loadConfigFile(options_.configPath, !options_.configRequired);
  if (!loaded) {
    log::error("reload: " + loaded.error().message + "\nreload: keeping the running configuration");
    (void)registry_->record("", "node.reload_failed", {{"error", loaded.error().message}});
    notifyReady(statusLine());
    return;
  }
  config::ReloadPlan plan = config::planReload(*config_, *loaded);
  if (auto problems = config::crossCheck(plan.next); !problems.empty()) {
    log::error("reload: '" + problems[0].key + "': " + problems[0].message +
               " (with the settings that need a restart kept); keeping the running configuration");
    notifyReady(statusLine());
    return;
  }
  config_ = std::make_shared<const config::Config>(plan.next);
  server_->setMaxBodyBytes(config_->api.maxBodyBytes);
  server_->setStreamHeartbeat(std::chrono::seconds(config_->api.streamHeartbeatSeconds));
  registry_->setEventsRetained(config_->logs.eventsRetained);
  log::info("reloaded '" + options_.configPath + "': applied " + joined(plan.applied));
  if (!plan.needRestart.empty()) {
    log::warning("reload: could not apply " + joined(plan.needRestart) +
                 " while running; they take effect when spaceletd restarts");
  }
  (void)registry_->record("", "node.reloaded",
                          {{"applied", plan.applied}, {"needs_restart", plan.needRestart}});
  notifyReady(statusLine());
}

void Daemon::beginShutdown() {
  if (stopping_) return;
  stopping_ = true;
  notifyStopping();
  log::info("stopping: no new connections; Spaces keep running");
  server_->stopAccepting();
  lifecycle_->shutdown();
  server_->finishStreams();
  auto deadline =
      loop_->addTimer(std::chrono::seconds(config_->api.shutdownTimeoutSeconds), [this] {
        log::warning(
            "stopping: in-flight requests did not finish within api.shutdown_timeout; closing "
            "them");
        loop_->exit(0);
      });
  if (deadline) shutdownDeadline_ = std::move(*deadline);
  auto drain = loop_->addTimer(kDrainCheckEvery, [this] { checkDrained(); });
  if (drain) drainTimer_ = std::move(*drain);
  if (!deadline || !drain) loop_->exit(0);
}

void Daemon::checkDrained() {
  // Streams are the only requests that outlive one loop iteration.
  if (server_->activeStreams() == 0) {
    loop_->exit(0);
    return;
  }
  (void)drainTimer_.rearm(kDrainCheckEvery);
}

}  // namespace spacelet::agent::daemon
