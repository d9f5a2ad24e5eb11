// Following an upstream repository (a Space's `source` URL): fetch its branch into the Space's
// own repository as refs/heads/main, so that the rest of the pipeline reads one place whether
// commits were pushed or fetched. libgit2 speaks file://, local paths, https:// and ssh://.
// Blocking network I/O: call from a worker thread, never the event loop.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "agent/git/bare_repo.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::git {

struct FetchOptions {
  std::string url;
  // The upstream branch to follow; empty: the upstream's default branch (its HEAD).
  std::string branch;
};

struct FetchResult {
  std::string branch;    // the upstream branch that was followed
  std::string sha;       // what refs/heads/main points at now
  bool changed = false;  // whether the fetch moved refs/heads/main
};

// Splits "URL#branch" (the form `spacectl create --source` accepts) into url and branch.
FetchOptions parseSource(const std::string& source);

Result<FetchResult> fetchUpstream(BareRepo& repo, const FetchOptions& options);

}  // namespace spacelet::agent::git
