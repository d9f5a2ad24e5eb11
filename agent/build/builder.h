// The Dockerfile builder: build(context, Dockerfile, options, log) -> a stored image.
// Each RUN step runs in spacelet's sandbox (the OCI runtime at BuilderSettings::runtimePath)
// in a user namespace, in the build's network namespace (none: no network), under the
// build's limits; its changes (the overlay upper dir) become a layer, within the store's
// layer size limit. Steps are cached by parent, instruction and input content.
// Thread-safety: one build per call; concurrent builds need distinct BuildOptions::id.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "agent/image/image_store.h"
#include "agent/image/rootfs_mount.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::build {

// Limits of one build (agent config: build.*; by default the Space's flavor).
struct BuildLimits {
  int64_t memoryBytes = int64_t{16} << 30;
  int64_t pids = 4096;
  int64_t cpuQuotaMicros = 200000;  // per 100 ms period: 2 CPUs
  std::chrono::seconds stepTimeout{3600};
};

// Node-level settings, the same for every build.
struct BuilderSettings {
  std::string runtimePath;   // spacelet-run (runc's command line)
  std::string workRoot;      // scratch space for steps, on the image store's filesystem
  std::string cacheRoot;     // build cache records and cache mounts
  std::string cgroupParent;  // absolute cgroup path below which build containers go
  // Non-empty: the systemd cgroup driver. Each build container is then a transient scope
  // spacelet-build-<id>-<step>.scope in this slice (spacelet-run --systemd-cgroup), and
  // cgroupParent is not used.
  std::string systemdSlice;
};

// Where RUN steps are connected. Empty netnsPath: each step gets a fresh network namespace
// with only loopback (no network). Otherwise every step joins this namespace (the agent
// attaches one per build through netpolicy, with the Space's egress rule) and sees
// resolvConf, when given, as a read-only /etc/resolv.conf that never reaches a layer.
struct BuildNetwork {
  std::string netnsPath;
  std::string resolvConf;
};

struct BuildOptions {
  std::string id;          // unique per concurrent build (container and scratch names)
  std::string contextDir;  // COPY/ADD sources
  std::string dockerfile;  // the Dockerfile text
  std::string target;      // stage to build; empty: the last one
  std::string tag;         // name of the resulting image in the store
  std::map<std::string, std::string> buildArgs;  // Space variables are passed here
  std::map<std::string, std::string> secrets;    // id -> value, for RUN --mount=type=secret
  // Extra read-only directories for RUN --mount=type=bind,from=NAME (BuildKit's named
  // contexts), e.g. "wheelhouse" -> the node's local wheel directory standing in for PyPI.
  std::map<std::string, std::string> namedContexts;
  bool noCache = false;  // restart --factory
  BuildLimits limits;
  image::IdRange ids{100000, 65536};  // the build's user namespace
  BuildNetwork network;
};

// Where progress and RUN output go, line by line. Secret values never reach it: the builder
// redacts them before calling.
using BuildLogSink = std::function<void(std::string_view line)>;

struct BuildResult {
  image::Image image;
  int steps = 0;
  int cacheHits = 0;
  std::chrono::milliseconds duration{0};
};

Result<BuildResult> build(image::ImageStore& store, const BuilderSettings& settings,
                          const BuildOptions& options, const BuildLogSink& log);

// The cgroup (v2 "0::" line, else the v1 memory line) of /proc/self/cgroup's text: where the
// agent runs, below which build containers go. Pure; exposed for tests.
std::string ownCgroup(const std::string& procSelfCgroup);

}  // namespace spacelet::agent::build
