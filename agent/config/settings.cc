// The settings table (see settings.h): one line per key, in the order the default file prints
// them. Defaults live in config.h; docs/operations.md is generated from the same lines.
#include "agent/config/settings.h"

#include <arpa/inet.h>
#include <sys/un.h>

#include "agent/config/codecs.h"

namespace spacelet::agent::config {
namespace {

using Table = std::vector<Setting<Config>>;
constexpr Reload kLive = Reload::kLive;
constexpr Reload kRestart = Reload::kRestart;

template <typename S, typename C>
void add(Table& t, std::string key, S Config::*section, typename C::Type S::*field, C codec,
         Reload reload, std::string doc) {
  t.push_back(Setting<Config>{
      std::move(key), std::move(doc), reload,
      [=](const YAML::Node& node, Config& c) -> Result<void> {
        auto value = codec.parse(node);
        if (!value) return fail(std::move(value).error());
        (c.*section).*field = std::move(*value);
        return {};
      },
      [=](const Config& c) { return codec.render((c.*section).*field); },
      [=](const Config& from, Config& to) { (to.*section).*field = (from.*section).*field; }});
}

template <typename C>
void addFlavor(std::vector<Setting<Flavor>>& t, std::string key, typename C::Type Flavor::*field,
               C codec, std::string doc) {
  t.push_back(Setting<Flavor>{std::move(key), std::move(doc), kLive,
                              [=](const YAML::Node& node, Flavor& f) -> Result<void> {
                                auto value = codec.parse(node);
                                if (!value) return fail(std::move(value).error());
                                f.*field = std::move(*value);
                                return {};
                              },
                              [=](const Flavor& f) { return codec.render(f.*field); },
                              [=](const Flavor& from, Flavor& to) { to.*field = from.*field; }});
}

Table makeTable() {
  using namespace codec;
  Table t;
  using C = Config;
  const uint64_t kMax = UINT64_MAX;
  // paths
  add(t, "paths.state_dir", &C::paths, &Paths::stateDir, AbsolutePath{}, kRestart,
      "Database, repositories, logs and images.");
  add(t, "paths.run_dir", &C::paths, &Paths::runDir, AbsolutePath{}, kRestart,
      "Runtime state that does not survive a reboot.");
  add(t, "paths.socket", &C::paths, &Paths::socket, AbsolutePath{}, kRestart,
      "The API's Unix socket (ignored when systemd passes a socket).");
  add(t, "paths.socket_mode", &C::paths, &Paths::socketMode, Mode{}, kRestart,
      "Permissions of the socket file.");
  add(t, "paths.socket_group", &C::paths, &Paths::socketGroup, Text{}, kRestart,
      "Group that owns the socket; its members may use the API.");
  add(t, "paths.node_key", &C::paths, &Paths::nodeKey, AbsolutePath{}, kRestart,
      "Key that encrypts secrets (generated, mode 0600; $CREDENTIALS_DIRECTORY/spacelet.key "
      "wins).");
  // api
  add(t, "api.max_body_bytes", &C::api, &Api::maxBodyBytes, Bytes{1024, 1 * kGiB}, kLive,
      "Largest request body; bigger ones get 413.");
  add(t, "api.max_connections", &C::api, &Api::maxConnections, Unsigned{4, 65536}, kRestart,
      "Concurrent API connections.");
  add(t, "api.idle_timeout", &C::api, &Api::idleTimeoutSeconds, Seconds{1, 86400}, kRestart,
      "Idle keep-alive connections are closed after this.");
  add(t, "api.max_streams", &C::api, &Api::maxStreams, Unsigned{1, 65536}, kLive,
      "Concurrent follow streams (logs, events); more get 503.");
  add(t, "api.stream_buffer_bytes", &C::api, &Api::streamBufferBytes, Bytes{64 * kKiB, 1 * kGiB},
      kLive, "Unsent data a slow stream reader may hold before it is cut off.");
  add(t, "api.stream_heartbeat", &C::api, &Api::streamHeartbeatSeconds, Seconds{1, 3600}, kLive,
      "Idle streams get a keep-alive line this often.");
  add(t, "api.shutdown_timeout", &C::api, &Api::shutdownTimeoutSeconds, Seconds{0, 600}, kLive,
      "On SIGTERM, how long in-flight requests may take to finish.");
  // limits
  add(t, "limits.max_spaces", &C::limits, &Limits::maxSpaces, Unsigned{1, 1000000}, kLive,
      "Spaces this node accepts.");
  add(t, "limits.max_secrets_per_space", &C::limits, &Limits::maxSecretsPerSpace,
      Unsigned{0, 10000}, kLive, "Secrets per Space.");
  add(t, "limits.max_variables_per_space", &C::limits, &Limits::maxVariablesPerSpace,
      Unsigned{0, 10000}, kLive, "Variables per Space.");
  add(t, "limits.max_value_bytes", &C::limits, &Limits::maxValueBytes, Bytes{1, 16 * kMiB}, kLive,
      "Largest secret or variable value.");
  add(t, "limits.max_description_bytes", &C::limits, &Limits::maxDescriptionBytes,
      Bytes{0, 64 * kKiB}, kLive, "Largest secret or variable description.");
  // spaces
  add(t, "spaces.default_hardware", &C::spaces, &Spaces::defaultHardware, Text{}, kLive,
      "Flavor of a Space created without one.");
  add(t, "spaces.default_sdk", &C::spaces, &Spaces::defaultSdk,
      Choice{{"gradio", "streamlit", "docker", "static"}}, kLive,
      "SDK of a Space created without one.");
  add(t, "spaces.default_sleep_time", &C::spaces, &Spaces::defaultSleepSeconds, SleepSeconds{},
      kLive, "Idle time before a Space sleeps; -1: never.");
  // network
  add(t, "network.ipv4_pool", &C::network, &Network::ipv4Pool, Cidr{AF_INET, false}, kRestart,
      "Each Space gets a /31 from this pool.");
  add(t, "network.ipv6_prefix", &C::network, &Network::ipv6Prefix, Cidr{AF_INET6, true}, kRestart,
      "Optional IPv6 prefix for Spaces (\"\": IPv4 only).");
  add(t, "network.resolvers", &C::network, &Network::resolvers, AddressList{}, kRestart,
      "DNS servers Spaces may query ([]: the node's /etc/resolv.conf, loopback stubs left out; "
      "systemd-resolved's upstream list when only a stub is there).");
  add(t, "network.node_netns", &C::network, &Network::nodeNetns, AbsolutePath{true}, kRestart,
      "Network namespace that plays the node (\"\": the agent's own; tests and demos set one).");
  add(t, "network.nft_timeout", &C::network, &Network::nftTimeoutSeconds, Seconds{1, 600}, kRestart,
      "A firewall table change (nft) that takes longer fails and is killed.");
  // proxy
  add(t, "proxy.listen", &C::proxy, &Proxy::listen, Text{}, kRestart,
      "Where the front proxy serves every Space (IP:port).");
  add(t, "proxy.domain", &C::proxy, &Proxy::domain, Text{}, kRestart,
      "Spaces are served at <author>-<name>.<domain>.");
  // logs
  add(t, "logs.level", &C::logs, &Logs::level, Choice{{"debug", "info", "warning", "error"}},
      kRestart, "The agent's own log level.");
  add(t, "logs.format", &C::logs, &Logs::format, Choice{{"text", "json"}}, kRestart,
      "The agent's own log format on stderr.");
  add(t, "logs.max_file_bytes", &C::logs, &Logs::maxFileBytes, Bytes{64 * kKiB, 64 * kGiB}, kLive,
      "A Space's build or run log is rotated at this size.");
  add(t, "logs.max_files", &C::logs, &Logs::maxFiles, Unsigned{1, 1000}, kLive,
      "Rotated log files kept per log.");
  add(t, "logs.max_line_bytes", &C::logs, &Logs::maxLineBytes, Bytes{256, 1 * kMiB}, kLive,
      "Longer log lines are split.");
  add(t, "logs.retention", &C::logs, &Logs::retentionSeconds, Seconds{3600, 3650 * 86400ull}, kLive,
      "Logs of old deployments are removed after this.");
  add(t, "logs.events_retained", &C::logs, &Logs::eventsRetained, Unsigned{100, 10000000}, kLive,
      "Events kept for /v1/events replay.");
  // builds
  add(t, "builds.runtime_path", &C::builds, &Builds::runtimePath, AbsolutePath{}, kRestart,
      "The OCI runtime that runs builds and Spaces.");
  add(t, "builds.max_concurrent", &C::builds, &Builds::maxConcurrent, Unsigned{1, 256}, kRestart,
      "Builds that run at the same time.");
  add(t, "builds.timeout", &C::builds, &Builds::timeoutSeconds, Seconds{60, 7 * 86400}, kLive,
      "A build running longer is stopped.");
  add(t, "builds.cpus", &C::builds, &Builds::cpus, Cpus{0, 4096}, kLive,
      "CPUs of a build (0: the Space's flavor).");
  add(t, "builds.memory", &C::builds, &Builds::memoryBytes, Bytes{0, kMax}, kLive,
      "Memory of a build (0: the Space's flavor).");
  add(t, "builds.base_images.gradio", &C::builds, &Builds::baseImageGradio, Text{}, kLive,
      "Base image of the gradio recipe.");
  add(t, "builds.base_images.streamlit", &C::builds, &Builds::baseImageStreamlit, Text{}, kLive,
      "Base image of the streamlit recipe.");
  add(t, "builds.base_images.static", &C::builds, &Builds::baseImageStatic, Text{}, kLive,
      "Base image of the static recipe.");
  add(t, "builds.pip_index_url", &C::builds, &Builds::pipIndexUrl, Url{}, kLive,
      "pip index for builds (\"\": PyPI).");
  add(t, "builds.wheelhouse", &C::builds, &Builds::wheelhouse, AbsolutePath{true}, kLive,
      "Local wheel directory used instead of an index (\"\": none).");
  add(t, "builds.apt_sources", &C::builds, &Builds::aptSources, AbsolutePath{true}, kLive,
      "sources.list for packages.txt (\"\": the image's own).");
  add(t, "builds.apt_repository", &C::builds, &Builds::aptRepository, AbsolutePath{true}, kLive,
      "Local apt repository, read-only at /apt-repository for packages.txt (\"\": none).");
  add(t, "builds.network", &C::builds, &Builds::network, Choice{{"egress", "none"}}, kLive,
      "Network of RUN steps: egress (the Space's egress policy) or none (loopback only).");
  add(t, "builds.max_layer_bytes", &C::builds, &Builds::maxLayerBytes, Bytes{1 * kMiB, kMax},
      kRestart, "Largest image layer accepted or produced.");
  add(t, "builds.max_layer_file_bytes", &C::builds, &Builds::maxLayerFileBytes,
      Bytes{1 * kKiB, kMax}, kRestart, "Largest single file in an image layer.");
  add(t, "builds.max_layer_entries", &C::builds, &Builds::maxLayerEntries,
      Unsigned{1000, 100000000}, kRestart,
      "Most entries (files, directories, links) in one image layer.");
  add(t, "builds.disk_high_watermark", &C::builds, &Builds::diskHighWatermark, Unsigned{1, 99},
      kLive, "Percent of disk used above which caches are pruned.");
  add(t, "builds.disk_low_watermark", &C::builds, &Builds::diskLowWatermark, Unsigned{1, 98}, kLive,
      "Pruning stops below this percent.");
  // git
  add(t, "git.fetch_interval", &C::git, &Git::fetchIntervalSeconds, Seconds{10, 7 * 86400}, kLive,
      "How often Spaces with an upstream source are fetched, and every Space's branch is "
      "checked for a push its hook did not report.");
  // supervisor
  add(t, "supervisor.backoff_initial", &C::supervisor, &Supervisor::backoffInitialSeconds,
      Seconds{1, 3600}, kLive,
      "Delay of the second crash restart (the first is immediate); doubles each time.");
  add(t, "supervisor.backoff_max", &C::supervisor, &Supervisor::backoffMaxSeconds,
      Seconds{1, 86400}, kLive, "Longest delay between crash restarts.");
  add(t, "supervisor.backoff_reset", &C::supervisor, &Supervisor::backoffResetSeconds,
      Seconds{1, 86400}, kLive, "Running this long healthy resets the backoff.");
  add(t, "supervisor.stop_grace", &C::supervisor, &Supervisor::stopGraceSeconds, Seconds{0, 3600},
      kLive, "Between SIGTERM and SIGKILL when stopping an app.");
  add(t, "supervisor.startup_timeout", &C::supervisor, &Supervisor::startupTimeoutSeconds,
      Seconds{10, 86400}, kLive, "Default startup_duration_timeout of an app.");
  add(t, "supervisor.deployments_retained", &C::supervisor, &Supervisor::deploymentsRetained,
      Unsigned{1, 10000}, kLive, "Deployments kept per Space (history, logs, rollback builds).");
  // gpu, cgroups
  add(t, "gpu.cdi_dirs", &C::gpu, &Gpu::cdiDirs, PathList{}, kRestart,
      "Where CDI device specs are read from.");
  add(t, "cgroup_driver", &C::cgroups, &Cgroups::driver, Choice{{"auto", "fs", "systemd"}},
      kRestart,
      "auto: systemd when it is PID 1 on cgroup v2, else fs; fs: cgroupfs below the agent's "
      "cgroup; systemd: a transient scope per container.");
  add(t, "cgroup_slice", &C::cgroups, &Cgroups::slice, Text{}, kRestart,
      "Slice of the Spaces' scopes with the systemd driver.");
  return t;
}

std::vector<Setting<Flavor>> makeFlavorTable() {
  using namespace codec;
  std::vector<Setting<Flavor>> t;
  addFlavor(t, "description", &Flavor::description, Text{true}, "Shown in `spacectl info`.");
  addFlavor(t, "cpus", &Flavor::cpus, Cpus{0.01, 4096}, "vCPUs (cpu.max quota).");
  addFlavor(t, "memory", &Flavor::memoryBytes, Bytes{16 * kMiB, UINT64_MAX},
            "memory.max; swap is off.");
  addFlavor(t, "pids_max", &Flavor::pidsMax, Unsigned{16, 4194304}, "pids.max.");
  addFlavor(t, "tmp_size", &Flavor::tmpBytes, Bytes{1 * kMiB, UINT64_MAX}, "Size cap of /tmp.");
  addFlavor(t, "gpus", &Flavor::gpus, Unsigned{0, 64}, "GPUs granted, exclusively.");
  addFlavor(t, "gpu_kind", &Flavor::gpuKind, CdiKind{}, "CDI kind of those GPUs.");
  addFlavor(t, "gpu_model", &Flavor::gpuModel, Text{true}, "Model the GPUs must be (\"\": any).");
  addFlavor(t, "gpu_memory", &Flavor::gpuMemoryBytes, Bytes{}, "GPU memory, for display.");
  return t;
}

}  // namespace

const std::vector<Setting<Config>>& settings() {
  static const Table table = makeTable();
  return table;
}

const std::vector<Setting<Flavor>>& flavorSettings() {
  static const std::vector<Setting<Flavor>> table = makeFlavorTable();
  return table;
}

const std::vector<std::pair<std::string, std::string>>& sectionDocs() {
  static const std::vector<std::pair<std::string, std::string>> docs = {
      {"paths",
       "Where the agent keeps things. Every path is configurable, so several instances can run "
       "side by side."},
      {"api", "The HTTP/JSON API on the Unix socket."},
      {"limits", "Limits on what API callers may create."},
      {"spaces", "Defaults for new Spaces."},
      {"network", "Per-Space networking (only TCP 80, 443 and 8080 leave a Space)."},
      {"proxy", "The node's front proxy, which serves every Space at its own host."},
      {"logs", "The agent's own log, and the Spaces' build and run logs."},
      {"builds", "Image builds (Dockerfile builder and SDK recipes)."},
      {"builds.base_images",
       "Base image per SDK recipe (docker Spaces bring their own Dockerfile)."},
      {"git", "Spaces' git repositories."},
      {"supervisor", "Keeping apps running."},
      {"gpu", "GPUs, granted through the Container Device Interface."},
      {"flavors", "Hardware flavors (Hugging Face's table). This list replaces the built-in one."},
  };
  return docs;
}

std::vector<CrossCheckError> crossCheck(const Config& c) {
  std::vector<CrossCheckError> errors;
  if (c.flavors.empty())
    errors.push_back({"flavors", "no flavors are defined; define at least one"});
  if (!c.flavors.contains(c.spaces.defaultHardware)) {
    errors.push_back({"spaces.default_hardware",
                      "'" + c.spaces.defaultHardware +
                          "' is not a flavor in 'flavors'; use one of them or add it"});
  }
  if (c.builds.diskLowWatermark >= c.builds.diskHighWatermark) {
    errors.push_back({"builds.disk_low_watermark", "must be below builds.disk_high_watermark (" +
                                                       std::to_string(c.builds.diskHighWatermark) +
                                                       ")"});
  }
  if (c.supervisor.backoffInitialSeconds > c.supervisor.backoffMaxSeconds) {
    errors.push_back({"supervisor.backoff_initial", "must not exceed supervisor.backoff_max"});
  }
  if (c.logs.maxLineBytes > c.logs.maxFileBytes) {
    errors.push_back({"logs.max_line_bytes", "must not exceed logs.max_file_bytes"});
  }
  if (c.paths.socket.size() >= sizeof(sockaddr_un::sun_path)) {
    errors.push_back(
        {"paths.socket", "'" + c.paths.socket + "' is longer than the " +
                             std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                             " bytes a Unix socket path may have; use a shorter path"});
  }
  for (const auto& [name, f] : c.flavors) {
    if (f.gpus > 0 && f.gpuKind.empty()) {
      errors.push_back(
          {"flavors." + name + ".gpu_kind",
           "flavor '" + name + "' has gpus but no gpu_kind; set it, e.g. 'nvidia.com/gpu'"});
    }
  }
  return errors;
}

std::string yamlQuote(const std::string& value) {
  static const std::string kSafe =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./+@-";
  bool bare = !value.empty() && value.find_first_not_of(kSafe) == std::string::npos &&
              value[0] != '-' && value[0] != '@';
  for (const char* word : {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}) {
    if (value == word) bare = false;
  }
  if (bare) return value;
  std::string out = "\"";
  for (char ch : value) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out += ch;
  }
  return out + "\"";
}

}  // namespace spacelet::agent::config
