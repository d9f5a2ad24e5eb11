// The probe's "report": everything a test may want to assert about the container it runs in.
#include <dirent.h>
#include <grp.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <climits>
#include <fstream>
#include <sstream>

#include "probe.h"

extern char** environ;

namespace spacelet::probe {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "Name:\tvalue" lines of /proc/self/status that a test may check.
nlohmann::json statusFields() {
  nlohmann::json out = nlohmann::json::object();
  std::istringstream in(slurp("/proc/self/status"));
  std::string line;
  for (std::string line2; std::getline(in, line2);) {
    auto colon = line2.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line2.substr(0, colon);
    std::string value = line2.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    for (const char* want : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs",
                             "Seccomp", "Seccomp_filters", "Uid", "Gid", "Groups"}) {
      if (key == want) out[key] = value;
    }
  }
  return out;
}

nlohmann::json namespaces() {
  nlohmann::json out = nlohmann::json::object();
  for (const char* ns : {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"}) {
    char buf[PATH_MAX];
    ssize_t n = ::readlink((std::string("/proc/self/ns/") + ns).c_str(), buf, sizeof buf - 1);
    if (n > 0) out[ns] = std::string(buf, static_cast<size_t>(n));
  }
  return out;
}

// mountinfo fields: mount point, fs type, per-mount options, super options, propagation.
nlohmann::json mounts() {
  nlohmann::json out = nlohmann::json::array();
  std::istringstream in(slurp("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point, options, field;
    f >> id >> parent >> dev >> root >> point >> options;
    std::string optional;
    while (f >> field && field != "-") optional += (optional.empty() ? "" : " ") + field;
    std::string fstype, source, super;
    f >> fstype >> source >> super;
    out.push_back({{"path", point},
                   {"root", root},
                   {"type", fstype},
                   {"source", source},
                   {"options", options},
                   {"super", super},
                   {"propagation", optional}});
  }
  return out;
}

nlohmann::json rlimits() {
  static const std::pair<const char*, int> kLimits[] = {
      {"RLIMIT_CPU", RLIMIT_CPU},           {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_DATA", RLIMIT_DATA},         {"RLIMIT_STACK", RLIMIT_STACK},
      {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},   {"RLIMIT_AS", RLIMIT_AS},
      {"RLIMIT_LOCKS", RLIMIT_LOCKS},       {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},     {"RLIMIT_RTTIME", RLIMIT_RTTIME},
  };
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, resource] : kLimits) {
    struct rlimit rl {};
    if (::getrlimit(resource, &rl) == 0) out[name] = {{"soft", rl.rlim_cur}, {"hard", rl.rlim_max}};
  }
  return out;
}

// Open fds other than the one opendir() uses to list them.
nlohmann::json openFds() {
  nlohmann::json out = nlohmann::json::array();
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return out;
  int own = ::dirfd(dir);
  while (struct dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    int fd = std::atoi(e->d_name);
    if (fd == own) continue;
    char target[PATH_MAX];
    ssize_t n =
        ::readlink((std::string("/proc/self/fd/") + e->d_name).c_str(), target, sizeof target - 1);
    out.push_back(
        {{"fd", fd}, {"target", n > 0 ? std::string(target, static_cast<size_t>(n)) : ""}});
  }
  ::closedir(dir);
  return out;
}

}  // namespace

nlohmann::json report(const Args&) {
  nlohmann::json r;
  r["pid"] = ::getpid();
  r["ppid"] = ::getppid();
  r["uid"] = ::getuid();
  r["euid"] = ::geteuid();
  r["gid"] = ::getgid();
  r["egid"] = ::getegid();
  gid_t groups[256];
  int n = ::getgroups(256, groups);
  r["groups"] = std::vector<gid_t>(groups, groups + (n > 0 ? n : 0));
  char cwd[PATH_MAX];
  r["cwd"] = ::getcwd(cwd, sizeof cwd) ? cwd : "";
  struct utsname uts {};
  ::uname(&uts);
  r["hostname"] = uts.nodename;
  r["domainname"] = uts.domainname;
  mode_t mask = ::umask(0);
  ::umask(mask);
  r["umask"] = mask;
  r["no_new_privs"] = ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  r["personality"] = ::personality(0xffffffff);
  r["status"] = statusFields();
  r["namespaces"] = namespaces();
  r["mounts"] = mounts();
  r["rlimits"] = rlimits();
  r["fds"] = openFds();
  r["cgroup"] = slurp("/proc/self/cgroup");
  r["uid_map"] = slurp("/proc/self/uid_map");
  r["gid_map"] = slurp("/proc/self/gid_map");
  r["oom_score_adj"] = std::atoi(slurp("/proc/self/oom_score_adj").c_str());
  nlohmann::json env = nlohmann::json::object();
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    env[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  r["env"] = env;
  r["tty"] = ::isatty(0) == 1;
  return r;
}

// The limits of the probe's own cgroup v2 directory, as the kernel shows them from inside
// (a container's cgroup namespace, or a systemd scope): unreadable files are left out.
nlohmann::json cgroupLimits(const Args& /*args*/) {
  std::string path;
  std::istringstream lines(slurp("/proc/self/cgroup"));
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("0::", 0) == 0) path = line.substr(3);
  nlohmann::json r{{"ok", !path.empty()}, {"path", path}};
  for (const char* file : {"memory.max", "memory.swap.max", "memory.high", "pids.max", "cpu.max",
                           "cpu.weight", "cgroup.controllers"}) {
    std::ifstream in("/sys/fs/cgroup" + path + "/" + file);
    std::string value;
    if (in && std::getline(in, value)) r[file] = value;
  }
  return r;
}

}  // namespace spacelet::probe
