// spaceletd's configuration as plain values, with every default in one place (the member
// initializers below). The YAML file is read by load.h against the table in settings.h;
// nothing here parses. A Config is immutable once loaded: the daemon shares it as
// std::shared_ptr<const Config> and swaps in a new one on SIGHUP.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace spacelet::agent::config {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;

// A hardware flavor, as in Hugging Face's hardware table. The name is the map key.
struct Flavor {
  std::string description;
  double cpus = 2;
  uint64_t memoryBytes = 16 * kGiB;
  uint64_t pidsMax = 4096;
  uint64_t tmpBytes = 2 * kGiB;  // size cap of the Space's writable /tmp
  uint64_t gpus = 0;
  std::string gpuKind;          // CDI device kind ("nvidia.com/gpu") when gpus > 0
  std::string gpuModel;         // what a granted device must be ("T4"); empty: any of that kind
  uint64_t gpuMemoryBytes = 0;  // informational, as shown in `spacectl info`
};

// The flavor table Hugging Face publishes (CPU and GPU upgrades).
std::map<std::string, Flavor> defaultFlavors();

struct Paths {
  std::string stateDir = "/var/lib/spacelet";
  std::string runDir = "/run/spacelet";
  std::string socket = "/run/spacelet/spacelet.sock";
  mode_t socketMode = 0660;
  std::string socketGroup = "spacelet";
  std::string nodeKey = "/etc/spacelet/node.key";
};

struct Api {
  uint64_t maxBodyBytes = 1 * kMiB;
  uint64_t maxConnections = 512;
  uint64_t idleTimeoutSeconds = 60;
  uint64_t maxStreams = 256;
  uint64_t streamBufferBytes = 1 * kMiB;
  uint64_t streamHeartbeatSeconds = 15;
  uint64_t shutdownTimeoutSeconds = 5;
};

struct Limits {
  uint64_t maxSpaces = 1000;
  uint64_t maxSecretsPerSpace = 100;
  uint64_t maxVariablesPerSpace = 100;
  uint64_t maxValueBytes = 64 * kKiB;
  uint64_t maxDescriptionBytes = 1 * kKiB;
};

struct Spaces {
  std::string defaultHardware = "cpu-basic";
  std::string defaultSdk = "gradio";
  int64_t defaultSleepSeconds = 172800;  // 48 h, as Hugging Face's free hardware; -1: never
};

struct Network {
  std::string ipv4Pool = "10.213.0.0/16";
  std::string ipv6Prefix;              // empty: no IPv6 for Spaces
  std::vector<std::string> resolvers;  // empty: the node's /etc/resolv.conf
  std::string nodeNetns;  // the namespace that plays the node (tests, demos); empty: the agent's
  uint64_t nftTimeoutSeconds = 10;  // a table change that takes longer is killed
};

// The node's front proxy (spacelet-proxy): each Space is served at "<author>-<name>.<domain>".
struct Proxy {
  std::string listen = "127.0.0.1:8000";
  std::string domain = "localhost";
};

struct Logs {
  std::string level = "info";
  std::string format = "text";
  uint64_t maxFileBytes = 10 * kMiB;
  uint64_t maxFiles = 5;
  uint64_t maxLineBytes = 16 * kKiB;
  uint64_t retentionSeconds = 7 * 86400;
  uint64_t eventsRetained = 10000;
};

struct Builds {
  std::string runtimePath = "/usr/bin/spacelet-run";
  uint64_t maxConcurrent = 2;
  uint64_t timeoutSeconds = 3600;
  double cpus = 0;           // 0: the Space's flavor
  uint64_t memoryBytes = 0;  // 0: the Space's flavor
  std::string baseImageGradio = "spacelet/python:3.11";
  std::string baseImageStreamlit = "spacelet/python:3.11";
  std::string baseImageStatic = "spacelet/busybox:latest";
  std::string pipIndexUrl;    // empty: pip's default (PyPI)
  std::string wheelhouse;     // a local directory of wheels; used instead of an index when set
  std::string aptSources;     // a sources.list file for packages.txt; empty: the image's own
  std::string aptRepository;  // a local apt repository bound into packages.txt's step; may be ""
  std::string network = "egress";  // RUN steps: "egress" (the Space's egress policy) or "none"
  uint64_t maxLayerBytes = 10 * kGiB;
  uint64_t maxLayerFileBytes = 8 * kGiB;
  uint64_t maxLayerEntries = 1000000;
  uint64_t diskHighWatermark = 90;
  uint64_t diskLowWatermark = 80;
};

struct Git {
  uint64_t fetchIntervalSeconds = 300;
};

struct Supervisor {
  uint64_t backoffInitialSeconds = 10;
  uint64_t backoffMaxSeconds = 300;
  uint64_t backoffResetSeconds = 600;
  uint64_t stopGraceSeconds = 10;
  uint64_t startupTimeoutSeconds = 1800;
  uint64_t deploymentsRetained = 20;
};

struct Gpu {
  std::vector<std::string> cdiDirs = {"/etc/cdi", "/var/run/cdi"};
};

struct Cgroups {
  std::string driver = "auto";
  std::string slice = "spacelet.slice";
};

struct Config {
  Paths paths;
  Api api;
  Limits limits;
  Spaces spaces;
  Network network;
  Proxy proxy;
  Logs logs;
  Builds builds;
  Git git;
  Supervisor supervisor;
  Gpu gpu;
  Cgroups cgroups;
  std::map<std::string, Flavor> flavors = defaultFlavors();
};

}  // namespace spacelet::agent::config
