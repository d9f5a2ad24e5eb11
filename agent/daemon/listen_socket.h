// The API's listening socket: the one systemd passed (socket activation, sd_listen_fds), or one
// spaceletd binds itself at paths.socket with paths.socket_mode and paths.socket_group. A stale
// socket file left by a crashed agent is replaced; a live one (another agent answering) is an
// error, as is a non-socket file in the way.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::agent::daemon {

struct ListenSocket {
  UniqueFd fd;
  bool activated = false;  // passed by systemd: systemd owns the file
  std::string path;        // the file spaceletd created ("" when activated)
  ino_t inode = 0;         // to remove only our own file at exit
};

// The gid of a group name, or nullopt when no such group exists.
Result<std::optional<gid_t>> lookupGroup(const std::string& name);

struct SocketSettings {
  std::string path;
  mode_t mode = 0660;
  std::optional<gid_t> group;  // chown to it when set
};

// Takes systemd's socket when there is one, else binds `settings.path`.
Result<ListenSocket> acquireListenSocket(const SocketSettings& settings);

// Removes the socket file spaceletd created, if it is still ours.
void releaseListenSocket(const ListenSocket& socket);

}  // namespace spacelet::agent::daemon
