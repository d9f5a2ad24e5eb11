// Socket activation or binding of the API socket (see listen_socket.h).
#include "agent/daemon/listen_socket.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

namespace spacelet::agent::daemon {
namespace {

Result<sockaddr_un> unixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return failInvalid("socket path '" + path + "' is too long");
  std::copy(path.begin(), path.end(), addr.sun_path);
  return addr;
}

// A socket file already at path: remove it when nothing answers there (a crashed agent's).
Result<void> clearStaleSocket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return failErrno(errno, "stat '" + path + "'");
  }
  if (!S_ISSOCK(st.st_mode)) {
    return failInvalid("'" + path + "' exists and is not a socket; remove it or set paths.socket");
  }
  auto addr = unixAddress(path);
  if (!addr) return fail(std::move(addr).error());
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe) return failErrno(errno, "socket");
  if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&*addr), sizeof *addr) == 0) {
    return fail(Error{EADDRINUSE, "another spaceletd is listening on '" + path +
                                      "'; stop it, or give this one another paths.socket"});
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return failErrno(errno, "remove stale socket '" + path + "'");
  return {};
}

Result<ListenSocket> fromSystemd(int count) {
  if (count != 1) {
    return failInvalid("systemd passed " + std::to_string(count) +
                       " sockets; spaceletd.socket must have exactly one ListenStream");
  }
  int fd = SD_LISTEN_FDS_START;
  if (sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0) <= 0) {
    return failInvalid("the socket systemd passed is not a listening Unix stream socket");
  }
  ListenSocket s;
  s.fd.reset(fd);
  s.activated = true;
  return s;
}

Result<void> bindWithMode(int fd, const sockaddr_un& addr, mode_t mode) {
  // The socket file takes its permissions from the umask at bind time: set it so the file is
  // never more open than `mode`, even for an instant. Single-threaded at this point of start-up.
  mode_t old = ::umask(~mode & 0777);
  int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  int err = errno;
  ::umask(old);
  if (rc != 0) return failErrno(err, std::string("bind '") + addr.sun_path + "'");
  return {};
}

}  // namespace

Result<std::optional<gid_t>> lookupGroup(const std::string& name) {
  std::vector<char> buf(16384);
  struct group grp {};
  struct group* result = nullptr;
  int rc = ::getgrnam_r(name.c_str(), &grp, buf.data(), buf.size(), &result);
  if (rc != 0) return failErrno(rc, "look up group '" + name + "'");
  if (!result) return std::optional<gid_t>();
  return std::optional<gid_t>(result->gr_gid);
}

Result<ListenSocket> acquireListenSocket(const SocketSettings& settings) {
  int passed = sd_listen_fds(1);
  if (passed < 0) return failErrno(-passed, "read the sockets systemd passed");
  if (passed > 0) return fromSystemd(passed);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(settings.path).parent_path(), ec);
  SPACELET_TRY(clearStaleSocket(settings.path));
  auto addr = unixAddress(settings.path);
  if (!addr) return fail(std::move(addr).error());
  ListenSocket s;
  s.fd.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!s.fd) return failErrno(errno, "socket");
  SPACELET_TRY(bindWithMode(s.fd.get(), *addr, settings.mode));
  s.path = settings.path;
  if (settings.group && ::chown(s.path.c_str(), static_cast<uid_t>(-1), *settings.group) != 0)
    return failErrno(errno, "give '" + s.path + "' to gid " + std::to_string(*settings.group));
  if (::chmod(s.path.c_str(), settings.mode) != 0)
    return failErrno(errno, "chmod '" + s.path + "'");
  struct stat st {};
  if (::stat(s.path.c_str(), &st) == 0) s.inode = st.st_ino;
  if (::listen(s.fd.get(), SOMAXCONN) != 0) return failErrno(errno, "listen on '" + s.path + "'");
  return s;
}

void releaseListenSocket(const ListenSocket& socket) {
  if (socket.activated || socket.path.empty()) return;
  struct stat st {};
  if (::stat(socket.path.c_str(), &st) == 0 && st.st_ino == socket.inode)
    ::unlink(socket.path.c_str());
}

}  // namespace spacelet::agent::daemon
