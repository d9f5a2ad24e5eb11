// Rendering and installing the post-receive hook (see post_receive_hook.h).
#include "agent/git/post_receive_hook.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "spacelet/base/file_io.h"

namespace spacelet::agent::git {

std::string shellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string renderPostReceiveHook(const HookSettings& s) {
  // exec keeps the pusher's terminal attached: what spacectl prints shows as "remote: ...".
  // A failed notification never undoes the push (git ignores the hook's status); the agent
  // also deploys a commit of 'main' it has not deployed when it starts and at every
  // git.fetch_interval, so a push it was not told of is not lost.
  return "#!/bin/sh\n"
         "# Installed by spaceletd for the Space " +
         s.spaceId +
         ": tells the agent about this push so that it builds and\n"
         "# deploys the new commit. Reinstalled at every agent start; edits are overwritten.\n"
         "exec " +
         shellQuote(s.spacectlPath) + " --socket " + shellQuote(s.socketPath) + " notify " +
         shellQuote(s.spaceId) + " --hook\n";
}

Result<void> installPostReceiveHook(const std::string& repoPath, const HookSettings& settings) {
  std::string hooks = repoPath + "/hooks";
  if (::mkdir(hooks.c_str(), 0755) != 0 && errno != EEXIST) {
    return failErrno(errno, "create '" + hooks + "'");
  }
  auto dir = openAt(AT_FDCWD, hooks, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (!dir) return fail(std::move(dir).error());
  SPACELET_TRY_CONTEXT(
      writeFileAtomicAt(dir->get(), "post-receive", renderPostReceiveHook(settings), 0755),
      "install the post-receive hook of '" + repoPath + "'");
  return {};
}

}  // namespace spacelet::agent::git
