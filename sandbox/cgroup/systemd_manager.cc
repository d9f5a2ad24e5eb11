// The systemd driver (see systemd_manager.h).
#include "systemd_manager.h"

#include <fcntl.h>
#include <systemd/sd-daemon.h>

#include <nlohmann/json.hpp>

#include "cgroup_fs.h"
#include "spacelet/base/file_io.h"
#include "systemd_bus.h"

namespace spacelet::sandbox::cgroup {
namespace {

// The properties every container scope gets, before its limits.
std::vector<UnitProperty> baseProperties(const ScopeName& scope, const Options& options,
                                         pid_t pid) {
  return {
      {"Description", "spacelet container " + options.containerId},
      {"Slice", scope.slice},
      // The container may manage cgroups below its own; systemd stays out of them.
      {"Delegate", true},
      {"PIDs", std::vector<uint32_t>{static_cast<uint32_t>(pid)}},
      // Not ordered against shutdown.target: the container lives as long as its processes.
      {"DefaultDependencies", false},
      {"MemoryAccounting", true},
      {"CPUAccounting", true},
      {"TasksAccounting", true},
      {"IOAccounting", true},
  };
}

// The leaf below the scope that holds the container's processes.
constexpr char kPayload[] = "container";

Result<std::unique_ptr<Manager>> makeManager(UniqueFd rootFd, ScopeName scope,
                                             const Options& options, bool started) {
  // The scope is the payload's "own" cgroup: delegated to us, so its subtree_control is
  // ours to write; nothing above the scope is ever pruned.
  Fs2Location location{scope.cgroupPath + "/" + kPayload, scope.cgroupPath, scope.cgroupPath};
  auto fs = std::make_unique<Fs2Manager>(std::move(rootFd), location, options);
  auto manager = std::make_unique<SystemdManager>(std::move(scope), std::move(fs), options);
  if (started) manager->markStarted();
  return std::unique_ptr<Manager>(std::move(manager));
}

}  // namespace

SystemdManager::SystemdManager(ScopeName scope, std::unique_ptr<Fs2Manager> fs, Options options)
    : scope_(std::move(scope)), fs_(std::move(fs)), options_(std::move(options)) {}

Result<ScopePlan> SystemdManager::plan(const Resources& resources) const {
  DeviceGroups groups;
  if (!resources.devices.empty()) {
    auto text = readFileAt(AT_FDCWD, "/proc/devices");
    SPACELET_TRY(text);
    groups = parseProcDevices(*text);
  }
  return planScope(resources, groups);
}

Result<void> SystemdManager::create(const Resources& resources) {
  SPACELET_TRY(plan(resources));
  pending_ = resources;
  return {};
}

Result<void> SystemdManager::startScope(pid_t pid) {
  auto scopePlan = plan(pending_.value_or(Resources{}));
  SPACELET_TRY(scopePlan);
  std::vector<UnitProperty> properties = baseProperties(scope_, options_, pid);
  properties.insert(properties.end(), scopePlan->properties.begin(), scopePlan->properties.end());
  SPACELET_TRY(startTransientUnit(scope_.unit, properties, options_.systemdJobTimeoutMs));
  // The process leaves the scope for its payload leaf before anything is enabled there.
  auto leaf = fs_->adopt(pid);
  if (leaf) leaf = fs_->create(pending_.value_or(Resources{}));
  if (!leaf) {
    (void)stopUnit(scope_.unit, options_.systemdJobTimeoutMs);
    return fail(std::move(leaf).error().withContext("scope '" + scope_.unit + "'"));
  }
  started_ = true;
  pending_.reset();
  return {};
}

Result<void> SystemdManager::addProcess(pid_t pid) {
  if (!started_) return startScope(pid);
  return fs_->addProcess(pid);
}

Result<void> SystemdManager::update(const Resources& resources) {
  auto scopePlan = plan(resources);
  SPACELET_TRY(scopePlan);
  if (!scopePlan->properties.empty()) {
    SPACELET_TRY(setUnitProperties(scope_.unit, scopePlan->properties));
  }
  return fs_->update(resources);
}

Result<void> SystemdManager::destroy() {
  SPACELET_TRY(stopUnit(scope_.unit, options_.systemdJobTimeoutMs));
  // systemd removes the scope's cgroup; this only catches what a container left below it.
  return fs_->destroy();
}

std::string SystemdManager::persistentPath() const {
  return nlohmann::json{{"driver", "systemd"},
                        {"slice", scope_.slice},
                        {"unit", scope_.unit},
                        {"path", scope_.cgroupPath}}
      .dump();
}

Result<UniqueFd> SystemdManager::cgroupDirFd() {
  if (!started_) {
    return failErrno(EOPNOTSUPP, "CLONE_INTO_CGROUP before the scope '" + scope_.unit +
                                     "' exists (systemd creates it on addProcess)");
  }
  return fs_->cgroupDirFd();
}

Result<std::unique_ptr<Manager>> openSystemd(UniqueFd rootFd, const ProcCgroup& proc,
                                             const Options& options) {
  (void)proc;  // systemd places the scope by slice, not below the caller's cgroup
  if (sd_booted() <= 0) {
    return failInvalid("--systemd-cgroup: systemd is not the init system here (no " +
                       std::string("/run/systemd/system); drop --systemd-cgroup"));
  }
  auto scope = parseScopeName(options.cgroupsPath, options.containerId, options.systemdSlice);
  SPACELET_TRY(scope);
  return makeManager(std::move(rootFd), std::move(*scope), options, false);
}

Result<std::unique_ptr<Manager>> reopenSystemd(UniqueFd rootFd, const nlohmann::json& saved,
                                               const Options& options) {
  ScopeName scope{saved.at("slice"), saved.at("unit"), saved.at("path")};
  return makeManager(std::move(rootFd), std::move(scope), options, true);
}

}  // namespace spacelet::sandbox::cgroup
