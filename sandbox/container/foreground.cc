// Foreground waiting with signal forwarding and terminal relay (see foreground.h).
#include "sandbox/container/foreground.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <optional>

namespace spacelet::sandbox::container {
namespace {

sigset_t forwardedSet() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGALRM}) {
    sigaddset(&set, sig);
  }
  return set;
}

// Puts our terminal in raw mode while relaying, restoring it on destruction.
class RawTerminal {
 public:
  RawTerminal() {
    if (::tcgetattr(0, &saved_) != 0) return;
    struct termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(0, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(0, TCSANOW, &saved_);
  }

 private:
  struct termios saved_ {};
  bool active_ = false;
};

void copyWindowSize(int terminal) {
  struct winsize ws {};
  if (::ioctl(0, TIOCGWINSZ, &ws) == 0) ::ioctl(terminal, TIOCSWINSZ, &ws);
}

// Copies what is readable on `from` to `to`; false at EOF or error.
bool relay(int from, int to) {
  char buf[8192];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n <= 0) return n < 0 && (errno == EINTR || errno == EAGAIN);
  for (ssize_t done = 0; done < n;) {
    ssize_t w = ::write(to, buf + done, static_cast<size_t>(n - done));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return false;
    done += w;
  }
  return true;
}

void forward(const ForwardedSignals& signals, int pidfd, int terminal) {
  struct signalfd_siginfo info {};
  while (::read(signals.fd(), &info, sizeof info) == sizeof info) {
    if (info.ssi_signo == SIGWINCH && terminal >= 0) {
      copyWindowSize(terminal);
      continue;
    }
    ::syscall(SYS_pidfd_send_signal, pidfd, static_cast<int>(info.ssi_signo), nullptr, 0);
  }
}

}  // namespace

ForwardedSignals::ForwardedSignals() {
  sigset_t set = forwardedSet();
  ::sigprocmask(SIG_BLOCK, &set, &previous_);
  signalFd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
}

ForwardedSignals::~ForwardedSignals() {
  ::sigprocmask(SIG_SETMASK, &previous_, nullptr);
}

Result<int> waitInForeground(process::ChildProcess& child, const ForwardedSignals& signals,
                             int terminal) {
  bool tty = terminal >= 0;
  std::optional<RawTerminal> raw;
  if (tty) {
    raw.emplace();
    copyWindowSize(terminal);
    ::fcntl(terminal, F_SETFL, ::fcntl(terminal, F_GETFL) | O_NONBLOCK);
  }
  struct pollfd fds[4] = {{child.pidfd(), POLLIN, 0},
                          {signals.fd(), POLLIN, 0},
                          {tty ? terminal : -1, POLLIN, 0},
                          {tty ? 0 : -1, POLLIN, 0}};
  for (;;) {
    int n = ::poll(fds, 4, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failErrno(errno, "wait for the container");
    if (fds[1].revents & POLLIN) forward(signals, child.pidfd(), terminal);
    if ((fds[2].revents & (POLLIN | POLLHUP)) && !relay(terminal, 1)) fds[2].fd = -1;
    if ((fds[3].revents & (POLLIN | POLLHUP)) && !relay(0, terminal)) fds[3].fd = -1;
    if (fds[0].revents & POLLIN) break;
  }
  while (tty && fds[2].fd >= 0 && relay(terminal, 1)) {
  }
  return child.wait();
}

}  // namespace spacelet::sandbox::container
