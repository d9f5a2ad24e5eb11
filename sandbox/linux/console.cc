// The container's terminal (see console.h).
#include "sandbox/linux/console.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "sandbox/linux/in_root.h"

namespace spacelet::sandbox::linux {
namespace {

struct FdGuard {
  int fd = -1;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

// SCM_RIGHTS with the terminal's name as payload (runc's format: receivers ignore it).
StepError sendFd(int socketFd, int fd, const char* name) {
  struct iovec iov {};
  iov.iov_base = const_cast<char*>(name);
  iov.iov_len = std::strlen(name);
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
  while (::sendmsg(socketFd, &msg, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) return stepFail("send the terminal to the console socket");
  }
  return stepOk();
}

StepError bindConsole(int slaveFd) {
  FdGuard root, target, tree;
  root.fd = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root.fd < 0) return stepFail("open the container root");
  SPACELET_STEP(ensureFileInRoot(root.fd, "/dev/console", &target.fd));
  tree.fd = ::open_tree(slaveFd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree.fd < 0) return stepFail("clone the terminal for", "/dev/console");
  if (::move_mount(tree.fd, "", target.fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) !=
      0) {
    return stepFail("bind the terminal on", "/dev/console");
  }
  return stepOk();
}

StepError makeStdio(int slaveFd) {
  for (int target = 0; target < 3; ++target) {
    if (::dup3(slaveFd, target, 0) < 0) return stepFail("make the terminal stdio");
  }
  if (::ioctl(0, TIOCSCTTY, 0) != 0) return stepFail("make the terminal controlling");
  return stepOk();
}

}  // namespace

Result<UniqueFd> connectConsoleSocket(const std::string& path) {
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    return failInvalid("--console-socket '" + path + "' is too long for a unix socket path");
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return failErrno(errno, "create socket for --console-socket");
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return failErrno(errno, "connect to --console-socket '" + path + "'");
  }
  return fd;
}

Result<UniqueFd> receiveFd(int socketFd) {
  char name[256];
  struct iovec iov {
    name, sizeof name
  };
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  while ((n = ::recvmsg(socketFd, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n < 0) return failErrno(errno, "receive the container's terminal");
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg == nullptr || cmsg->cmsg_type != SCM_RIGHTS) {
    return failErrno(EPROTO, "receive the container's terminal (no fd in the message)");
  }
  int fd;
  std::memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
  return UniqueFd(fd);
}

StepError setupConsole(int socketFd, const std::optional<spec::ConsoleSize>& size,
                       bool bindDevConsole) {
  FdGuard master, slave;
  master.fd = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master.fd < 0) return stepFail("open", "/dev/ptmx");
  int unlock = 0;
  if (::ioctl(master.fd, TIOCSPTLCK, &unlock) != 0) return stepFail("unlock the terminal");
  slave.fd = ::ioctl(master.fd, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave.fd < 0) return stepFail("open the terminal's slave end");
  if (size) {
    struct winsize ws {};
    ws.ws_row = size->height;
    ws.ws_col = size->width;
    if (::ioctl(slave.fd, TIOCSWINSZ, &ws) != 0) return stepFail("set process.consoleSize");
  }
  if (bindDevConsole) SPACELET_STEP(bindConsole(slave.fd));
  SPACELET_STEP(sendFd(socketFd, master.fd, "/dev/ptmx"));
  return makeStdio(slave.fd);
}

}  // namespace spacelet::sandbox::linux
