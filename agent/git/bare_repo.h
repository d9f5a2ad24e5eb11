// A Space's bare git repository: created with HEAD on `main` (Hugging Face's branch), read by
// commit sha. Pushes arrive through git itself (git-receive-pack runs the post-receive hook);
// this class only creates, reads and resolves.
// Thread-safety: one thread at a time per BareRepo; distinct BareRepo objects (even on the same
// path) may be used from different threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/git/git_handle.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::git {

// The branch a Space deploys, as on Hugging Face.
inline constexpr std::string_view kDeployBranch = "main";

struct CommitInfo {
  std::string sha;
  std::string summary;  // the first line of the message
  std::string author;   // "Name <email>"
  int64_t timeMs = 0;   // author time
};

class BareRepo {
 public:
  // Creates a bare repository at `path` (parents included) whose HEAD names refs/heads/main,
  // or opens it when one is already there (creating twice is not an error).
  static Result<BareRepo> create(const std::string& path);
  static Result<BareRepo> open(const std::string& path);

  const std::string& path() const { return path_; }
  git_repository* raw() const { return repo_.get(); }

  // The sha refs/heads/<branch> points at; nullopt while nothing was pushed to it.
  Result<std::optional<std::string>> branchTip(std::string_view branch = kDeployBranch) const;
  // Every branch under refs/heads, for messages ("you pushed 'master'; spacelet deploys 'main'").
  Result<std::vector<std::string>> branches() const;
  Result<CommitInfo> commit(std::string_view sha) const;
  // A file of the commit's tree (path like "README.md" or "src/app.py"); nullopt when the path
  // is absent or not a regular file. Larger than maxBytes is an error naming the file.
  Result<std::optional<std::string>> readFile(std::string_view sha, std::string_view path,
                                              size_t maxBytes) const;
  // Whether the commit's tree has an entry (file, link or directory) at path.
  Result<bool> hasPath(std::string_view sha, std::string_view path) const;
  Result<TreePtr> tree(std::string_view sha) const;

 private:
  BareRepo(std::string path, RepoPtr repo) : path_(std::move(path)), repo_(std::move(repo)) {}
  Result<CommitPtr> lookupCommit(std::string_view sha) const;

  std::string path_;
  RepoPtr repo_;
};

}  // namespace spacelet::agent::git
