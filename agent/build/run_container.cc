// The build container's spec and its execution (see run_container.h).
#include "agent/build/run_container.h"

#include <poll.h>
#include <unistd.h>

#include "agent/process/spawn.h"
#include "sandbox/seccomp/default_profile.h"

namespace spacelet::agent::build {
namespace {
using nlohmann::json;

// Docker's default capability set: what `RUN apt-get install` and friends need, held only
// inside the build's user namespace.
const std::vector<std::string>& buildCapabilities() {
  static const std::vector<std::string> kCaps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  return kCaps;
}

json mounts(const RunSpec& spec) {
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
      {{"destination", "/sys"},
       {"type", "sysfs"},
       {"source", "sysfs"},
       {"options", {"nosuid", "noexec", "nodev", "ro"}}},
  });
  for (const auto& b : spec.binds) {
    json options = {"rbind", "nosuid", "nodev"};
    options.push_back(b.readonly ? "ro" : "rw");
    m.push_back({{"destination", b.destination},
                 {"type", "bind"},
                 {"source", b.source},
                 {"options", options}});
  }
  return m;
}

json resources(const BuildLimits& l) {
  return {{"memory", {{"limit", l.memoryBytes}, {"swap", l.memoryBytes}}},
          {"pids", {{"limit", l.pids}}},
          {"cpu", {{"quota", l.cpuQuotaMicros}, {"period", 100000}}}};
}

json linuxSection(const RunSpec& spec) {
  json idmap =
      json::array({{{"containerID", 0}, {"hostID", spec.ids.hostId}, {"size", spec.ids.count}}});
  json ns = json::array();
  for (const char* type : {"pid", "ipc", "uts", "mount", "user"}) ns.push_back({{"type", type}});
  json network = {{"type", "network"}};
  if (!spec.netnsPath.empty()) network["path"] = spec.netnsPath;
  ns.push_back(network);
  return {{"uidMappings", idmap},
          {"gidMappings", idmap},
          {"namespaces", ns},
          {"cgroupsPath", spec.cgroupsPath},
          {"resources", resources(spec.limits)},
          {"seccomp", sandbox::seccomp::defaultProfile()},
          {"maskedPaths",
           {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
            "/sys/firmware", "/sys/devices/virtual/powercap"}},
          {"readonlyPaths",
           {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}};
}

}  // namespace

json buildContainerConfig(const RunSpec& spec) {
  json caps = buildCapabilities();
  // No rlimits: the step inherits the agent's, which a user-namespaced process could not raise.
  json process = {{"terminal", false},
                  {"user", {{"uid", spec.uid}, {"gid", spec.gid}}},
                  {"args", spec.args},
                  {"env", spec.env},
                  {"cwd", spec.cwd.empty() ? "/" : spec.cwd},
                  {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
                  {"noNewPrivileges", false}};
  return {{"ociVersion", "1.0.2"},
          {"process", process},
          {"root", {{"path", "rootfs"}, {"readonly", false}}},
          {"hostname", "spacelet-build"},
          {"mounts", mounts(spec)},
          {"linux", linuxSection(spec)}};
}

namespace {

// Splits the stream into lines for onLine; a final partial line is flushed at the end.
class LineSplitter {
 public:
  explicit LineSplitter(const std::function<void(std::string_view)>& onLine) : onLine_(onLine) {}
  void feed(std::string_view data) {
    buffer_ += data;
    size_t nl;
    while ((nl = buffer_.find('\n')) != std::string::npos) {
      onLine_(std::string_view(buffer_).substr(0, nl));
      buffer_.erase(0, nl + 1);
    }
    if (buffer_.size() > 64 * 1024) flush();  // no newline for a long time: emit anyway
  }
  void flush() {
    if (!buffer_.empty()) onLine_(buffer_);
    buffer_.clear();
  }

 private:
  const std::function<void(std::string_view)>& onLine_;
  std::string buffer_;
};

void killContainer(const std::vector<std::string>& runtime, const std::string& id) {
  for (std::vector<std::string> command : {std::vector<std::string>{"kill", id, "KILL"},
                                           std::vector<std::string>{"delete", "--force", id}}) {
    process::SpawnOptions o;
    o.argv = runtime;
    o.argv.insert(o.argv.end(), command.begin(), command.end());
    (void)process::run(o, {.timeout = std::chrono::seconds(30)});
  }
}

}  // namespace

Result<ContainerExit> runContainer(const std::vector<std::string>& runtime,
                                   const std::string& bundleDir, const std::string& id,
                                   std::chrono::seconds timeout,
                                   const std::function<void(std::string_view)>& onLine) {
  process::SpawnOptions o;
  o.argv = runtime;
  o.argv.insert(o.argv.end(), {"run", "--bundle", bundleDir, id});
  o.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  o.stdoutMode = process::Stream::kPipe;
  o.mergeStderr = true;
  o.newProcessGroup = true;
  auto child = process::spawn(o);
  if (!child) return fail(std::move(child).error().withContext("start the build container"));
  LineSplitter lines(onLine);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  ContainerExit exit;
  char buf[16 << 10];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      if (!exit.timedOut) killContainer(runtime, id);
      exit.timedOut = true;
      left = std::chrono::milliseconds(1000);
    }
    struct pollfd pfd = {child->stdoutPipe.get(), POLLIN, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    ssize_t n = ::read(child->stdoutPipe.get(), buf, sizeof buf);
    if (n <= 0 && !(n < 0 && errno == EINTR)) break;  // EOF: the runtime and container are done
    if (n > 0) lines.feed({buf, static_cast<size_t>(n)});
  }
  lines.flush();
  auto status = child->wait();
  if (!status) return fail(std::move(status).error());
  exit.status = status->shellStatus();
  return exit;
}

}  // namespace spacelet::agent::build
