// The parent<->child protocol (see sync.h).
#include "sandbox/process/sync.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace spacelet::sandbox::process {
namespace {

constexpr size_t kMaxPayload = 1 << 20;

}  // namespace

const char* messageName(Message message) {
  switch (message) {
    case Message::kIntermediateReady:
      return "intermediate-ready";
    case Message::kParentReady:
      return "parent-ready";
    case Message::kInitPid:
      return "init-pid";
    case Message::kState:
      return "state";
    case Message::kRunRuntimeHooks:
      return "run-runtime-hooks";
    case Message::kHooksDone:
      return "hooks-done";
    case Message::kInitReady:
      return "init-ready";
    case Message::kStart:
      return "start";
    case Message::kError:
      return "error";
    case Message::kMountsReady:
      return "mounts-ready";
    case Message::kMountSources:
      return "mount-sources";
  }
  return "unknown";
}

FixedText& FixedText::add(const char* text) {
  if (text == nullptr) return *this;
  while (*text != '\0' && used_ + 1 < size_) buf_[used_++] = *text++;
  buf_[used_] = '\0';
  return *this;
}

FixedText& FixedText::addInt(long value) {
  char digits[24];
  int n = 0;
  bool negative = value < 0;
  unsigned long v =
      negative ? 0ul - static_cast<unsigned long>(value) : static_cast<unsigned long>(value);
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  if (negative) digits[n++] = '-';
  char text[24];
  for (int i = 0; i < n; ++i) text[i] = digits[n - 1 - i];
  text[n] = '\0';
  return add(text);
}

Result<SyncPair> makeSyncPair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    return failErrno(errno, "create the sync socket");
  }
  return SyncPair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

bool sendMessage(int fd, Message message, const void* payload, size_t length) {
  uint32_t type = static_cast<uint32_t>(message);
  struct iovec iov[2] = {{&type, sizeof type}, {const_cast<void*>(payload), length}};
  struct msghdr msg {};
  msg.msg_iov = iov;
  msg.msg_iovlen = length > 0 ? 2 : 1;
  for (;;) {
    if (::sendmsg(fd, &msg, MSG_NOSIGNAL) >= 0) return true;
    if (errno != EINTR) return false;
  }
}

bool receiveMessage(int fd, Message expected, void* payload, size_t capacity, size_t* length) {
  uint32_t type = 0;
  struct iovec iov[2] = {{&type, sizeof type}, {payload, capacity}};
  struct msghdr msg {};
  msg.msg_iov = iov;
  msg.msg_iovlen = capacity > 0 ? 2 : 1;
  ssize_t n;
  while ((n = ::recvmsg(fd, &msg, 0)) < 0 && errno == EINTR) {
  }
  if (n < static_cast<ssize_t>(sizeof type) || (msg.msg_flags & MSG_TRUNC)) return false;
  if (type != static_cast<uint32_t>(expected)) return false;
  if (length != nullptr) *length = static_cast<size_t>(n) - sizeof type;
  return true;
}

bool receiveFds(int fd, Message expected, int* out, size_t count) {
  uint32_t type = 0;
  struct iovec iov {
    &type, sizeof type
  };
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * count);
  ssize_t n;
  while ((n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n != sizeof type || type != static_cast<uint32_t>(expected)) return false;
  if (count == 0) return true;
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg == nullptr || cmsg->cmsg_type != SCM_RIGHTS ||
      cmsg->cmsg_len != CMSG_LEN(sizeof(int) * count)) {
    return false;
  }
  std::memcpy(out, CMSG_DATA(cmsg), sizeof(int) * count);
  return true;
}

void failChild(int fd, const ChildErrorRecord& record) {
  sendMessage(fd, Message::kError, &record, sizeof record);
  _exit(1);
}

Result<Received> receiveAny(int fd) {
  // Peek with MSG_TRUNC for the message's real length, then read exactly that much.
  ssize_t size;
  while ((size = ::recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC)) < 0 && errno == EINTR) {
  }
  if (size < 0) return failErrno(errno, "read from the container's init");
  Received r;
  if (size == 0) {
    r.eof = true;
    return r;
  }
  if (static_cast<size_t>(size) > kMaxPayload) return failErrno(EMSGSIZE, "sync message");
  std::string buf(static_cast<size_t>(size), '\0');
  ssize_t n;
  while ((n = ::recv(fd, buf.data(), buf.size(), 0)) < 0 && errno == EINTR) {
  }
  if (n < static_cast<ssize_t>(sizeof(uint32_t))) return failErrno(EPROTO, "short sync message");
  uint32_t type;
  std::memcpy(&type, buf.data(), sizeof type);
  r.message = static_cast<Message>(type);
  r.payload = buf.substr(sizeof type, static_cast<size_t>(n) - sizeof type);
  return r;
}

Result<void> sendOrFail(int fd, Message message, const void* payload, size_t length) {
  if (!sendMessage(fd, message, payload, length)) {
    return failErrno(errno, std::string("send '") + messageName(message) + "' to the container");
  }
  return {};
}

Result<void> sendFds(int fd, Message message, const std::vector<int>& fds) {
  if (fds.size() > kMaxFds) {
    return failErrno(E2BIG, "more than " + std::to_string(kMaxFds) + " bind mounts");
  }
  uint32_t type = static_cast<uint32_t>(message);
  struct iovec iov {
    &type, sizeof type
  };
  std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (!fds.empty()) {
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
  }
  while (::sendmsg(fd, &msg, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) return failErrno(errno, "send the mount sources to the container");
  }
  return {};
}

Error childError(const std::string& payload) {
  ChildErrorRecord record;
  std::memcpy(&record, payload.data(), std::min(payload.size(), sizeof record));
  record.message[sizeof record.message - 1] = '\0';
  std::string message = record.message;
  if (record.code != 0) return Error::fromErrno(record.code, message);
  return Error{ECANCELED, message};
}

}  // namespace spacelet::sandbox::process
