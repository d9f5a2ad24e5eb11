// config.json generation for a Space (see bundle_config.h).
#include "agent/bundle/bundle_config.h"

#include <cmath>

#include "sandbox/seccomp/default_profile.h"

namespace spacelet::agent::bundle {
namespace {
using nlohmann::json;

std::string cpuText(double cpus) {
  if (std::floor(cpus) == cpus) return std::to_string(static_cast<int64_t>(cpus));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", cpus);
  return buf;
}

std::vector<std::string> processArgs(const image::RuntimeConfig& c) {
  std::vector<std::string> args = c.entrypoint;
  args.insert(args.end(), c.cmd.begin(), c.cmd.end());
  return args;
}

json mounts(const BundleSettings& s) {
  json m = json::array({
      {{"destination", "/proc"},
       {"type", "proc"},
       {"source", "proc"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/dev"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
      {{"destination", "/dev/pts"},
       {"type", "devpts"},
       {"source", "devpts"},
       {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}}},
      {{"destination", "/dev/shm"},
       {"type", "tmpfs"},
       {"source", "shm"},
       {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
      {{"destination", "/dev/mqueue"},
       {"type", "mqueue"},
       {"source", "mqueue"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/sys"},
       {"type", "sysfs"},
       {"source", "sysfs"},
       {"options", {"nosuid", "noexec", "nodev", "ro"}}},
      {{"destination", "/tmp"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "nodev", "mode=1777", "size=" + std::to_string(s.tmpBytes)}}},
  });
  for (const auto& [dest, source] :
       {std::pair{"/app", s.appSource}, std::pair{"/home/user", s.homeSource}}) {
    if (source.empty()) continue;
    m.push_back({{"destination", dest},
                 {"type", "bind"},
                 {"source", source},
                 {"options", {"rbind", "rw", "nosuid", "nodev"}}});
  }
  if (!s.resolvConfSource.empty()) {
    m.push_back({{"destination", "/etc/resolv.conf"},
                 {"type", "bind"},
                 {"source", s.resolvConfSource},
                 {"options", {"rbind", "ro", "nosuid", "nodev", "noexec"}}});
  }
  return m;
}

json resources(const FlavorInfo& f) {
  return {{"memory", {{"limit", f.memoryBytes}, {"swap", f.memoryBytes}}},
          {"pids", {{"limit", f.pids}}},
          {"cpu", {{"quota", static_cast<int64_t>(f.cpus * 100000)}, {"period", 100000}}},
          {"devices", {{{"allow", false}, {"access", "rwm"}}}}};
}

json linuxSection(const FlavorInfo& flavor, const BundleSettings& s) {
  json idmap = json::array({{{"containerID", 0}, {"hostID", s.ids.hostId}, {"size", s.ids.count}}});
  json ns = json::array();
  for (const char* type : {"pid", "ipc", "uts", "mount", "user", "cgroup"})
    ns.push_back({{"type", type}});
  json net = {{"type", "network"}};
  if (!s.netnsPath.empty()) net["path"] = s.netnsPath;
  ns.push_back(net);
  return {{"uidMappings", idmap},
          {"gidMappings", idmap},
          {"namespaces", ns},
          {"cgroupsPath", s.cgroupsPath},
          {"resources", resources(flavor)},
          {"seccomp", sandbox::seccomp::defaultProfile()},
          {"maskedPaths",
           {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
            "/sys/firmware", "/sys/devices/virtual/powercap"}},
          {"readonlyPaths",
           {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}};
}

}  // namespace

std::string memoryText(int64_t bytes) {
  if (bytes % (int64_t{1} << 30) == 0) return std::to_string(bytes >> 30) + "Gi";
  if (bytes % (int64_t{1} << 20) == 0) return std::to_string(bytes >> 20) + "Mi";
  return std::to_string(bytes);
}

std::vector<std::string> spaceEnvironment(const image::ImageConfig& image, const SpaceInfo& space,
                                          const FlavorInfo& flavor) {
  std::vector<std::string> env = image.config.env;
  size_t slash = space.id.find('/');
  auto set = [&env](const std::string& k, const std::string& v) { image::envSet(env, k, v); };
  if (!image::envLookup(env, "PATH"))
    set("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  set("HOME", "/home/user");
  set("SPACE_ID", space.id);
  set("SPACE_AUTHOR_NAME", slash == std::string::npos ? "" : space.id.substr(0, slash));
  set("SPACE_REPO_NAME", slash == std::string::npos ? space.id : space.id.substr(slash + 1));
  set("SPACE_TITLE", space.title);
  set("SPACE_HOST", space.host);
  set("SYSTEM", "spaces");
  set("CPU_CORES", cpuText(flavor.cpus));
  set("MEMORY", memoryText(flavor.memoryBytes));
  if (!flavor.accelerator.empty()) set("ACCELERATOR", flavor.accelerator);
  if (space.sdk == "gradio") {
    set("GRADIO_SERVER_NAME", "0.0.0.0");
    set("GRADIO_SERVER_PORT", std::to_string(space.appPort));
  }
  for (const auto& [k, v] : space.variables) set(k, v);
  for (const auto& [k, v] : space.secrets) set(k, v);
  return env;
}

nlohmann::json bundleConfig(const image::ImageConfig& image, const SpaceInfo& space,
                            const FlavorInfo& flavor, const BundleSettings& s) {
  const auto& c = image.config;
  json process = {{"terminal", false},
                  {"user", {{"uid", s.uid}, {"gid", s.gid}, {"additionalGids", {s.gid}}}},
                  {"args", processArgs(c)},
                  {"env", spaceEnvironment(image, space, flavor)},
                  {"cwd", c.workingDir.empty() ? "/app" : c.workingDir},
                  {"capabilities",
                   {{"bounding", json::array()},
                    {"effective", json::array()},
                    {"inheritable", json::array()},
                    {"permitted", json::array()},
                    {"ambient", json::array()}}},
                  {"noNewPrivileges", true},
                  {"oomScoreAdj", 500}};
  return {{"ociVersion", "1.0.2"},
          {"process", process},
          {"root", {{"path", s.rootfs}, {"readonly", true}}},
          {"hostname", s.hostname},
          {"mounts", mounts(s)},
          {"annotations", {{"io.spacelet.space", space.id}, {"io.spacelet.flavor", flavor.name}}},
          {"linux", linuxSection(flavor, s)}};
}

}  // namespace spacelet::agent::bundle
