// The post-receive hook of a Space's repository: after git-receive-pack has stored a push, it
// hands the updated refs (git's "old new ref" lines on stdin) to `spacectl notify`, which
// tells the agent so that it deploys the new commit. The script is rendered by pure code and
// installed atomically; the agent reinstalls it at start so a moved spacectl or socket heals.
#pragma once

#include <string>

#include "spacelet/base/error.h"

namespace spacelet::agent::git {

struct HookSettings {
  std::string spacectlPath;  // absolute path of spacectl
  std::string socketPath;    // the agent's API socket
  std::string spaceId;       // "author/name"
};

// Quotes a string for a POSIX shell ('it'\''s'). Pure.
std::string shellQuote(const std::string& text);

// The hook script's text. Pure; golden-tested.
std::string renderPostReceiveHook(const HookSettings& settings);

// Writes <repo>/hooks/post-receive (mode 0755) atomically.
Result<void> installPostReceiveHook(const std::string& repoPath, const HookSettings& settings);

}  // namespace spacelet::agent::git
