// Framing for the nft helper's socket (see nft_helper_protocol.h).
#include "nft_helper_protocol.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace spacelet::netpolicy {
namespace {

using Clock = std::chrono::steady_clock;

bool sendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Waits until fd is readable (kFrame), the deadline passes (kTimeout) or poll fails (kBroken).
FrameRead waitReadable(int fd, Clock::time_point deadline) {
  for (;;) {
    int timeout = -1;
    if (deadline != Clock::time_point::max()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      timeout = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    struct pollfd p = {fd, POLLIN, 0};
    int n = ::poll(&p, 1, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FrameRead::kBroken;
    return n == 0 ? FrameRead::kTimeout : FrameRead::kFrame;
  }
}

// Reads exactly `size` bytes; kEnd when the peer closed before the first byte.
FrameRead readExactly(int fd, char* data, size_t size, Clock::time_point deadline) {
  size_t done = 0;
  while (done < size) {
    if (auto ready = waitReadable(fd, deadline); ready != FrameRead::kFrame) return ready;
    ssize_t n = ::read(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 && done == 0) return FrameRead::kEnd;
    if (n <= 0) return FrameRead::kBroken;
    done += static_cast<size_t>(n);
  }
  return FrameRead::kFrame;
}

}  // namespace

bool writeFrame(int fd, std::string_view payload) {
  if (payload.size() > kMaxFrame) return false;
  uint32_t size = static_cast<uint32_t>(payload.size());
  char header[sizeof size];
  std::memcpy(header, &size, sizeof size);
  return sendAll(fd, header, sizeof header) && sendAll(fd, payload.data(), payload.size());
}

FrameRead readFrame(int fd, std::string& out, Clock::time_point deadline) {
  char header[sizeof(uint32_t)];
  if (auto got = readExactly(fd, header, sizeof header, deadline); got != FrameRead::kFrame) {
    return got;
  }
  uint32_t size = 0;
  std::memcpy(&size, header, sizeof size);
  if (size > kMaxFrame) return FrameRead::kBroken;
  out.resize(size);
  auto got = readExactly(fd, out.data(), size, deadline);
  return got == FrameRead::kEnd ? FrameRead::kBroken : got;
}

}  // namespace spacelet::netpolicy
