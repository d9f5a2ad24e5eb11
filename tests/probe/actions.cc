// The probe's attempts: open, read, write and stat a path, try a syscall, connect somewhere.
// Each reports {"ok": bool, "errno": n, "error": "..."} instead of failing.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "probe.h"

namespace spacelet::probe {
namespace {

nlohmann::json outcome(bool ok, int err) {
  nlohmann::json r{{"ok", ok}, {"errno", ok ? 0 : err}};
  if (!ok) r["error"] = std::strerror(err);
  return r;
}

std::string arg(const Args& args, size_t i, const std::string& fallback = "") {
  return i < args.size() ? args[i] : fallback;
}

long long nowMs() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

}  // namespace

nlohmann::json openPath(const Args& args) {
  std::string mode = arg(args, 1, "r");
  int flags = mode == "rw" ? O_RDWR : mode == "w" ? O_WRONLY : O_RDONLY;
  int fd = ::open(arg(args, 0).c_str(), flags | O_CLOEXEC);
  int err = errno;
  if (fd >= 0) ::close(fd);
  auto r = outcome(fd >= 0, err);
  r["path"] = arg(args, 0);
  return r;
}

nlohmann::json readPath(const Args& args) {
  int fd = ::open(arg(args, 0).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return outcome(false, errno);
  std::string data;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) data.append(buf, static_cast<size_t>(n));
  int err = errno;
  ::close(fd);
  auto r = outcome(n == 0, err);
  r["data"] = data;
  return r;
}

nlohmann::json writePath(const Args& args) {
  int fd = ::open(arg(args, 0).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return outcome(false, errno);
  std::string data = arg(args, 1);
  ssize_t n = ::write(fd, data.data(), data.size());
  int err = errno;
  ::close(fd);
  return outcome(n == static_cast<ssize_t>(data.size()), err);
}

nlohmann::json statPath(const Args& args) {
  struct stat st {};
  int rc = ::lstat(arg(args, 0).c_str(), &st);
  auto r = outcome(rc == 0, errno);
  if (rc == 0) {
    r["mode"] = st.st_mode;
    r["uid"] = st.st_uid;
    r["gid"] = st.st_gid;
    r["size"] = st.st_size;
    r["rdev_major"] = major(st.st_rdev);
    r["rdev_minor"] = minor(st.st_rdev);
  }
  return r;
}

// A few syscalls seccomp and capability tests care about.
nlohmann::json trySyscall(const Args& args) {
  std::string name = arg(args, 0);
  long rc = -1;
  errno = 0;
  if (name == "unshare-user")
    rc = ::unshare(CLONE_NEWUSER);
  else if (name == "unshare-net")
    rc = ::unshare(CLONE_NEWNET);
  else if (name == "mount-tmpfs")
    rc = ::mount("none", "/tmp", "tmpfs", 0, nullptr);
  else if (name == "chown")
    rc = ::chown(arg(args, 1, "/tmp").c_str(), 0, 0);
  else if (name == "mknod")
    rc = ::mknod(arg(args, 1, "/tmp/node").c_str(), S_IFCHR | 0600, makedev(1, 3));
  else if (name == "sethostname")
    rc = ::sethostname("probe", 5);
  else if (name == "getpid")
    rc = ::syscall(SYS_getpid);
  else if (name == "clone3")
    rc = ::syscall(SYS_clone3, nullptr, 0);
  else if (name == "keyctl")
    rc = ::syscall(SYS_keyctl, 0, 0, 0, 0, 0);
  else if (name == "ptrace")
    rc = ::syscall(SYS_ptrace, 0, 0, 0, 0);
  else if (name == "personality")
    rc = ::syscall(SYS_personality, std::stoul(arg(args, 1, "0"), nullptr, 0));
  else if (name == "mkdir")
    rc = ::mkdir(arg(args, 1, "/tmp/probe-dir").c_str(), 0755);
  else
    return {{"ok", false}, {"errno", EINVAL}, {"error", "unknown syscall name '" + name + "'"}};
  auto r = outcome(rc >= 0, errno);
  r["syscall"] = name;
  r["return"] = rc;
  return r;
}

// Connects (TCP) or sends and waits for a reply or an ICMP error (UDP); reports elapsed ms
// so that "fails fast" can be asserted.
nlohmann::json connectTo(const Args& args) {
  std::string host = arg(args, 0), port = arg(args, 1), proto = arg(args, 2, "tcp");
  int timeoutMs = std::stoi(arg(args, 3, "3000"));
  // Numeric addresses only: getaddrinfo would need glibc's NSS modules in a static binary.
  struct sockaddr_storage addr {};
  socklen_t addrLen = 0;
  auto* v4 = reinterpret_cast<struct sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<struct sockaddr_in6*>(&addr);
  uint16_t portNumber = htons(static_cast<uint16_t>(std::stoi(port)));
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = portNumber;
    addrLen = sizeof *v4;
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = portNumber;
    addrLen = sizeof *v6;
  } else {
    return {{"ok", false}, {"errno", EINVAL}, {"error", "not a numeric address: '" + host + "'"}};
  }
  long long start = nowMs();
  int type = proto == "udp" ? SOCK_DGRAM : SOCK_STREAM;
  int fd = ::socket(addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int rc = ::connect(fd, reinterpret_cast<struct sockaddr*>(&addr), addrLen);
  int err = rc == 0 ? 0 : errno;
  if (proto == "udp" && rc == 0) {
    (void)!::send(fd, "probe", 5, 0);
    err = EINPROGRESS;
  }
  if (err == EINPROGRESS) {
    struct pollfd p {
      fd, static_cast<short>(proto == "udp" ? POLLIN : POLLOUT), 0
    };
    int ready = ::poll(&p, 1, timeoutMs);
    if (ready == 0) {
      err = ETIMEDOUT;
    } else {
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    }
  }
  ::close(fd);
  auto r = outcome(err == 0, err);
  r["elapsed_ms"] = nowMs() - start;
  return r;
}

}  // namespace spacelet::probe
