// The frames spoken between the network policy library and spacelet-nft-helper over a
// stream socket: a 4-byte length in host byte order (both ends run on the same host), then
// that many bytes. Shared by both ends; plain functions over a borrowed fd.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace spacelet::netpolicy {

// A frame larger than this is refused (a full table of 10 000 Spaces is a few MiB).
inline constexpr size_t kMaxFrame = 256u << 20;

enum class FrameRead { kFrame, kEnd, kTimeout, kBroken };

// Writes one frame (MSG_NOSIGNAL: a closed peer is an error, not SIGPIPE). False on error.
bool writeFrame(int fd, std::string_view payload);
// Reads one frame into `out`. kEnd: the peer closed before a frame began; kBroken: a read
// error, an oversized frame or a frame cut short; kTimeout: `deadline` passed first.
FrameRead readFrame(
    int fd, std::string& out,
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());

}  // namespace spacelet::netpolicy
