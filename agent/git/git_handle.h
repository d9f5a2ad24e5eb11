// RAII for libgit2: one unique_ptr alias per object type (freed with its own git_*_free), the
// library's init/shutdown as a scoped object, and errors taken from git_error_last().
// libgit2 objects are not thread-safe; a repository handle belongs to one thread at a time.
#pragma once

#include <git2.h>

#include <memory>
#include <string>
#include <string_view>

#include "spacelet/base/error.h"

namespace spacelet::agent::git {

template <typename T, void (*Free)(T*)>
struct GitDeleter {
  void operator()(T* p) const { Free(p); }
};

using RepoPtr = std::unique_ptr<git_repository, GitDeleter<git_repository, git_repository_free>>;
using CommitPtr = std::unique_ptr<git_commit, GitDeleter<git_commit, git_commit_free>>;
using TreePtr = std::unique_ptr<git_tree, GitDeleter<git_tree, git_tree_free>>;
using BlobPtr = std::unique_ptr<git_blob, GitDeleter<git_blob, git_blob_free>>;
using RefPtr = std::unique_ptr<git_reference, GitDeleter<git_reference, git_reference_free>>;
using RemotePtr = std::unique_ptr<git_remote, GitDeleter<git_remote, git_remote_free>>;
using ObjectPtr = std::unique_ptr<git_object, GitDeleter<git_object, git_object_free>>;
using SignaturePtr = std::unique_ptr<git_signature, GitDeleter<git_signature, git_signature_free>>;
using IndexPtr = std::unique_ptr<git_index, GitDeleter<git_index, git_index_free>>;

// Keeps libgit2 initialised while alive. git_libgit2_init is reference counted, so every
// owner of repositories (the agent, a test, a CLI command) holds one of these.
class LibGit2 {
 public:
  LibGit2() { git_libgit2_init(); }
  ~LibGit2() { git_libgit2_shutdown(); }
  LibGit2(const LibGit2&) = delete;
  LibGit2& operator=(const LibGit2&) = delete;
};

// An Error for a failed libgit2 call: `what` plus libgit2's own message. The code is ENOENT
// for GIT_ENOTFOUND (so callers can tell "no such commit" apart) and EIO otherwise.
Error gitError(int rc, std::string_view what);

// A 40-hex object id as text.
std::string oidText(const git_oid& oid);
// Parses a full 40-hex sha; anything else is an error naming the value.
Result<git_oid> parseOid(std::string_view text);

}  // namespace spacelet::agent::git
