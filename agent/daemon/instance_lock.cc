// The state directory lock (see instance_lock.h).
#include "agent/daemon/instance_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "spacelet/base/file_io.h"

namespace spacelet::agent::daemon {

Result<UniqueFd> lockStateDir(const std::string& stateDir) {
  std::string path = stateDir + "/spaceletd.lock";
  auto fd = openAt(AT_FDCWD, path, O_RDWR | O_CREAT, 0644);
  if (!fd) return fail(std::move(fd).error());
  if (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return failErrno(errno, "lock '" + path + "'");
    auto owner = readAll(fd->get());
    std::string text = owner ? *owner : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    std::string pid = text.empty() ? "" : " (pid " + text + ")";
    return fail(Error{EBUSY, "another spaceletd" + pid + " uses state directory '" + stateDir +
                                 "'; stop it, or give this one another paths.state_dir"});
  }
  if (::ftruncate(fd->get(), 0) == 0) {
    std::string pid = std::to_string(::getpid()) + "\n";
    (void)!::pwrite(fd->get(), pid.data(), pid.size(), 0);
  }
  return std::move(*fd);
}

}  // namespace spacelet::agent::daemon
