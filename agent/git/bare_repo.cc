// Creating, opening and reading a Space's bare repository with libgit2 (see bare_repo.h).
#include "agent/git/bare_repo.h"

#include <vector>

namespace spacelet::agent::git {
namespace {

using TreeEntryPtr =
    std::unique_ptr<git_tree_entry, GitDeleter<git_tree_entry, git_tree_entry_free>>;

// Looks up path in the tree; nullptr (no error) when it is not there.
Result<TreeEntryPtr> findEntry(git_tree* tree, std::string_view path) {
  git_tree_entry* entry = nullptr;
  int rc = git_tree_entry_bypath(&entry, tree, std::string(path).c_str());
  if (rc == GIT_ENOTFOUND) return TreeEntryPtr();
  if (rc < 0) return fail(gitError(rc, "look up '" + std::string(path) + "'"));
  return TreeEntryPtr(entry);
}

}  // namespace

Result<BareRepo> BareRepo::create(const std::string& path) {
  git_repository_init_options options = GIT_REPOSITORY_INIT_OPTIONS_INIT;
  options.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
  options.initial_head = "main";
  options.description = "A spacelet Space: pushes to 'main' are built and deployed.";
  git_repository* repo = nullptr;
  int rc = git_repository_init_ext(&repo, path.c_str(), &options);
  if (rc < 0) return fail(gitError(rc, "create repository '" + path + "'"));
  return BareRepo(path, RepoPtr(repo));
}

Result<BareRepo> BareRepo::open(const std::string& path) {
  git_repository* repo = nullptr;
  int rc = git_repository_open_bare(&repo, path.c_str());
  if (rc < 0) return fail(gitError(rc, "open repository '" + path + "'"));
  return BareRepo(path, RepoPtr(repo));
}

Result<std::optional<std::string>> BareRepo::branchTip(std::string_view branch) const {
  git_oid oid;
  std::string ref = "refs/heads/" + std::string(branch);
  int rc = git_reference_name_to_id(&oid, repo_.get(), ref.c_str());
  if (rc == GIT_ENOTFOUND) return std::optional<std::string>();
  if (rc < 0) return fail(gitError(rc, "resolve '" + ref + "' in '" + path_ + "'"));
  return std::optional<std::string>(oidText(oid));
}

Result<std::vector<std::string>> BareRepo::branches() const {
  git_branch_iterator* raw = nullptr;
  int rc = git_branch_iterator_new(&raw, repo_.get(), GIT_BRANCH_LOCAL);
  if (rc < 0) return fail(gitError(rc, "list branches of '" + path_ + "'"));
  std::unique_ptr<git_branch_iterator, GitDeleter<git_branch_iterator, git_branch_iterator_free>>
      it(raw);
  std::vector<std::string> names;
  git_reference* ref = nullptr;
  git_branch_t type;
  while ((rc = git_branch_next(&ref, &type, it.get())) == 0) {
    RefPtr owned(ref);
    const char* name = nullptr;
    if (git_branch_name(&name, owned.get()) == 0) names.emplace_back(name);
  }
  if (rc != GIT_ITEROVER) return fail(gitError(rc, "list branches of '" + path_ + "'"));
  return names;
}

Result<CommitPtr> BareRepo::lookupCommit(std::string_view sha) const {
  auto oid = parseOid(sha);
  if (!oid) return fail(std::move(oid).error());
  git_commit* commit = nullptr;
  int rc = git_commit_lookup(&commit, repo_.get(), &*oid);
  if (rc < 0) {
    return fail(gitError(rc, "commit '" + std::string(sha) + "' in '" + path_ + "'"));
  }
  return CommitPtr(commit);
}

Result<CommitInfo> BareRepo::commit(std::string_view sha) const {
  auto commit = lookupCommit(sha);
  if (!commit) return fail(std::move(commit).error());
  const git_signature* author = git_commit_author(commit->get());
  CommitInfo info;
  info.sha = oidText(*git_commit_id(commit->get()));
  const char* summary = git_commit_summary(commit->get());
  info.summary = summary ? summary : "";
  info.author = std::string(author->name) + " <" + author->email + ">";
  info.timeMs = static_cast<int64_t>(author->when.time) * 1000;
  return info;
}

Result<TreePtr> BareRepo::tree(std::string_view sha) const {
  auto commit = lookupCommit(sha);
  if (!commit) return fail(std::move(commit).error());
  git_tree* tree = nullptr;
  int rc = git_commit_tree(&tree, commit->get());
  if (rc < 0) return fail(gitError(rc, "tree of commit '" + std::string(sha) + "'"));
  return TreePtr(tree);
}

Result<bool> BareRepo::hasPath(std::string_view sha, std::string_view path) const {
  auto tree = this->tree(sha);
  if (!tree) return fail(std::move(tree).error());
  auto entry = findEntry(tree->get(), path);
  if (!entry) return fail(std::move(entry).error());
  return *entry != nullptr;
}

Result<std::optional<std::string>> BareRepo::readFile(std::string_view sha, std::string_view path,
                                                      size_t maxBytes) const {
  auto tree = this->tree(sha);
  if (!tree) return fail(std::move(tree).error());
  auto entry = findEntry(tree->get(), path);
  if (!entry) return fail(std::move(entry).error());
  if (!*entry || git_tree_entry_type(entry->get()) != GIT_OBJECT_BLOB ||
      git_tree_entry_filemode(entry->get()) == GIT_FILEMODE_LINK) {
    return std::optional<std::string>();
  }
  git_blob* blob = nullptr;
  int rc = git_blob_lookup(&blob, repo_.get(), git_tree_entry_id(entry->get()));
  if (rc < 0) return fail(gitError(rc, "read '" + std::string(path) + "'"));
  BlobPtr owned(blob);
  auto size = static_cast<size_t>(git_blob_rawsize(blob));
  if (size > maxBytes) {
    return failInvalid("'" + std::string(path) + "' is " + std::to_string(size) +
                       " bytes, more than the " + std::to_string(maxBytes) + " allowed");
  }
  return std::optional<std::string>(
      std::string(static_cast<const char*>(git_blob_rawcontent(blob)), size));
}

}  // namespace spacelet::agent::git
