// Running one RUN step: the OCI config.json of the build container (pure, unit-tested) and
// the thin step that starts it with the runtime's `run` command, streams its output line by
// line, and kills it when the step's time limit passes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "agent/build/builder.h"
#include "agent/image/rootfs_mount.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::build {

struct BindMount {
  std::string source;
  std::string destination;
  bool readonly = false;
};

struct RunSpec {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  uint32_t uid = 0;
  uint32_t gid = 0;
  image::IdRange ids;
  BuildLimits limits;
  std::string cgroupsPath;  // absolute
  std::vector<BindMount> binds;
  std::string netnsPath;  // the network namespace to join; empty: a fresh one (no network)
};

// The build container: user namespace mapped to `ids`, fresh pid/ipc/uts/mount namespaces,
// the build's network namespace (or a fresh empty one), Docker's default capabilities inside
// the namespace, the default seccomp profile, masked /proc paths and the build limits as
// cgroup resources.
nlohmann::json buildContainerConfig(const RunSpec& spec);

struct ContainerExit {
  int status = 0;  // as a shell reports it
  bool timedOut = false;
};

// `runtime... run --bundle bundleDir id`, stdout and stderr merged and passed to onLine line
// by line; `runtime` is the runtime's path and its global options (--root, --systemd-cgroup).
// Kills and deletes the container after `timeout`.
Result<ContainerExit> runContainer(const std::vector<std::string>& runtime,
                                   const std::string& bundleDir, const std::string& id,
                                   std::chrono::seconds timeout,
                                   const std::function<void(std::string_view)>& onLine);

}  // namespace spacelet::agent::build
