// fetchUpstream: an anonymous libgit2 remote, connected once to list its branches (to find the
// default branch or check the requested one), then downloaded through one forced refspec onto
// refs/heads/main (see upstream.h).
#include "agent/git/upstream.h"

namespace spacelet::agent::git {
namespace {

// Disconnects when the fetch is over, whichever way it ends.
struct Connection {
  git_remote* remote;
  ~Connection() { git_remote_disconnect(remote); }
};

// The ref to fetch: "refs/heads/<branch>", checked against what the upstream advertises.
Result<std::string> chooseBranch(git_remote* remote, const FetchOptions& options) {
  if (options.branch.empty()) {
    git_buf name = GIT_BUF_INIT;
    int rc = git_remote_default_branch(&name, remote);
    std::string branch = rc == 0 ? std::string(name.ptr, name.size) : "";
    git_buf_dispose(&name);
    if (rc < 0) {
      return fail(gitError(rc, "find the default branch of '" + options.url + "' (name one: '" +
                                   options.url + "#<branch>')"));
    }
    return branch;
  }
  std::string wanted = "refs/heads/" + options.branch;
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  int rc = git_remote_ls(&heads, &count, remote);
  if (rc < 0) return fail(gitError(rc, "list the branches of '" + options.url + "'"));
  for (size_t i = 0; i < count; ++i) {
    if (wanted == heads[i]->name) return wanted;
  }
  return failInvalid("upstream '" + options.url + "' has no branch '" + options.branch + "'");
}

Result<void> download(git_remote* remote, const std::string& branch, const std::string& url) {
  std::string refspec = "+" + branch + ":refs/heads/" + std::string(kDeployBranch);
  char* specs[] = {refspec.data()};
  git_strarray refspecs = {specs, 1};
  git_fetch_options fetchOptions = GIT_FETCH_OPTIONS_INIT;
  int rc = git_remote_download(remote, &refspecs, &fetchOptions);
  if (rc < 0) return fail(gitError(rc, "fetch '" + branch + "' from '" + url + "'"));
  git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
  rc = git_remote_update_tips(remote, &callbacks, 0, GIT_REMOTE_DOWNLOAD_TAGS_NONE,
                              "spacelet: follow upstream");
  if (rc < 0) return fail(gitError(rc, "update refs/heads/main from '" + url + "'"));
  return {};
}

}  // namespace

FetchOptions parseSource(const std::string& source) {
  auto hash = source.rfind('#');
  if (hash == std::string::npos) return FetchOptions{source, ""};
  return FetchOptions{source.substr(0, hash), source.substr(hash + 1)};
}

Result<FetchResult> fetchUpstream(BareRepo& repo, const FetchOptions& options) {
  git_remote* raw = nullptr;
  int rc = git_remote_create_anonymous(&raw, repo.raw(), options.url.c_str());
  if (rc < 0) return fail(gitError(rc, "upstream '" + options.url + "'"));
  RemotePtr remote(raw);
  git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
  rc = git_remote_connect(remote.get(), GIT_DIRECTION_FETCH, &callbacks, nullptr, nullptr);
  if (rc < 0) return fail(gitError(rc, "connect to '" + options.url + "'"));
  Connection connection{remote.get()};
  auto branch = chooseBranch(remote.get(), options);
  if (!branch) return fail(std::move(branch).error());
  auto before = repo.branchTip();
  if (!before) return fail(std::move(before).error());
  SPACELET_TRY(download(remote.get(), *branch, options.url));
  auto after = repo.branchTip();
  if (!after) return fail(std::move(after).error());
  if (!*after) return failInvalid("fetching '" + options.url + "' did not produce a commit");
  return FetchResult{branch->substr(sizeof("refs/heads/") - 1), **after, *before != *after};
}

}  // namespace spacelet::agent::git
