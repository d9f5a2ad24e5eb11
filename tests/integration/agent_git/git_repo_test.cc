// agent/git against real git: `git push` to a Space's bare repository runs its post-receive
// hook with git's ref lines, the pushed commit is read and exported file for file (modes and
// symlinks kept, no .git), an upstream is followed over file://, and a crafted tree that tries
// to escape the export directory is refused. Needs git, not root.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/git/bare_repo.h"
#include "agent/git/post_receive_hook.h"
#include "agent/git/space_config.h"
#include "agent/git/tree_export.h"
#include "agent/git/upstream.h"
#include "test_env.h"

namespace spacelet::agent::git {
namespace {

namespace fs = std::filesystem;
using spacelet::testing::runCommand;
using spacelet::testing::TempDir;

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeText(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

// A work tree where the test commits, with git isolated from the host's configuration.
class WorkTree {
 public:
  explicit WorkTree(const std::string& dir) : dir_(dir) {
    fs::create_directories(dir);
    EXPECT_EQ(git({"init", "-q", "-b", "main"}).status, 0);
  }
  spacelet::testing::CommandResult git(std::vector<std::string> args) const {
    std::vector<std::string> argv = {
        "env", "HOME=" + dir_, "GIT_CONFIG_NOSYSTEM=1", "git", "-C",
        dir_,  "-c",           "user.name=Test",        "-c",  "user.email=test@example.com"};
    argv.insert(argv.end(), args.begin(), args.end());
    return runCommand(argv);
  }
  std::string commitAll(const std::string& message) const {
    EXPECT_EQ(git({"add", "-A"}).status, 0);
    auto r = git({"commit", "-q", "-m", message});
    EXPECT_EQ(r.status, 0) << r.output;
    return head();
  }
  std::string head() const {
    auto out = git({"rev-parse", "HEAD"}).output;
    return out.substr(0, out.find('\n'));
  }
  std::string path(const std::string& rel) const { return dir_ + "/" + rel; }

 private:
  std::string dir_;
};

class GitRepoTest : public ::testing::Test {
 protected:
  LibGit2 libgit2_;
  TempDir tmp_{"spacelet-git"};
};

TEST_F(GitRepoTest, PushRunsTheHookAndTheCommitExports) {
  auto repo = BareRepo::create(tmp_ / "spaces/alice/demo/repo.git");
  ASSERT_TRUE(repo) << repo.error().message;
  ASSERT_FALSE(*repo->branchTip());  // nothing pushed yet
  // A stand-in spacectl that records what the hook hands it.
  std::string fake = tmp_ / "spacectl";
  writeText(fake, "#!/bin/sh\necho \"$@\" > " + tmp_ / "args" + "\ncat > " + tmp_ / "stdin" +
                      "\necho 'spacelet: queued'\n");
  ::chmod(fake.c_str(), 0755);
  ASSERT_TRUE(installPostReceiveHook(repo->path(), {fake, "/run/x.sock", "alice/demo"}));

  WorkTree work(tmp_ / "work");
  writeText(work.path("README.md"), "---\nsdk: static\ntitle: Demo\n---\nhello\n");
  writeText(work.path("index.html"), "<h1>v1</h1>\n");
  writeText(work.path("bin/run.sh"), "#!/bin/sh\necho run\n");
  ::chmod(work.path("bin/run.sh").c_str(), 0755);
  fs::create_symlink("index.html", work.path("home.html"));
  std::string sha = work.commitAll("first");
  auto pushed = work.git({"push", repo->path(), "HEAD:main"});
  ASSERT_EQ(pushed.status, 0) << pushed.output;
  EXPECT_NE(pushed.output.find("remote: spacelet: queued"), std::string::npos) << pushed.output;
  EXPECT_EQ(readText(tmp_ / "args"), "--socket /run/x.sock notify alice/demo --hook\n");
  EXPECT_EQ(readText(tmp_ / "stdin"), std::string(40, '0') + " " + sha + " refs/heads/main\n");

  ASSERT_EQ(*repo->branchTip(), sha);
  auto info = repo->commit(sha);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->summary, "first");
  EXPECT_EQ(info->author, "Test <test@example.com>");
  auto readme = repo->readFile(sha, "README.md", 1 << 20);
  ASSERT_TRUE(readme && *readme);
  auto config = parseReadme(*readme, "");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->title, "Demo");
  EXPECT_FALSE(
      missingAppFile(*config, [&](const std::string& p) { return *repo->hasPath(sha, p); }));

  std::string out = tmp_ / "export";
  auto stats = exportTree(*repo, sha, out);
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->files, 4u);
  EXPECT_EQ(stats->links, 1u);
  EXPECT_EQ(readText(out + "/index.html"), "<h1>v1</h1>\n");
  EXPECT_EQ(fs::read_symlink(out + "/home.html"), "index.html");
  struct stat st {};
  ASSERT_EQ(::stat((out + "/bin/run.sh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  ASSERT_EQ(::stat((out + "/index.html").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_FALSE(fs::exists(out + "/.git"));
}

TEST_F(GitRepoTest, SecondPushMovesMainAndReadsBothCommits) {
  auto repo = BareRepo::create(tmp_ / "repo.git");
  ASSERT_TRUE(repo);
  WorkTree work(tmp_ / "work");
  writeText(work.path("index.html"), "v1");
  std::string first = work.commitAll("one");
  ASSERT_EQ(work.git({"push", "-q", repo->path(), "HEAD:main"}).status, 0);
  writeText(work.path("index.html"), "v2");
  std::string second = work.commitAll("two");
  ASSERT_EQ(work.git({"push", "-q", repo->path(), "HEAD:main"}).status, 0);
  EXPECT_EQ(*repo->branchTip(), second);
  EXPECT_EQ(**repo->readFile(first, "index.html", 100), "v1");
  EXPECT_EQ(**repo->readFile(second, "index.html", 100), "v2");
  // Another branch does not move main; it is listed for the hook's message.
  ASSERT_EQ(work.git({"push", "-q", repo->path(), "HEAD:refs/heads/master"}).status, 0);
  auto names = repo->branches();
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, (std::vector<std::string>{"main", "master"}));
  // An unknown or malformed sha is a clear error.
  EXPECT_EQ(repo->commit(std::string(40, 'a')).error().code, ENOENT);
  EXPECT_NE(repo->commit("HEAD~1").error().message.find("'HEAD~1'"), std::string::npos);
}

TEST_F(GitRepoTest, CreateIsIdempotentAndOpenFindsIt) {
  ASSERT_TRUE(BareRepo::create(tmp_ / "r.git"));
  ASSERT_TRUE(BareRepo::create(tmp_ / "r.git"));
  auto opened = BareRepo::open(tmp_ / "r.git");
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(readText(tmp_ / "r.git/HEAD"), "ref: refs/heads/main\n");
  auto missing = BareRepo::open(tmp_ / "nope.git");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("nope.git"), std::string::npos);
}

TEST_F(GitRepoTest, FollowsAnUpstreamOverFile) {
  WorkTree upstream(tmp_ / "upstream");
  writeText(upstream.path("app.py"), "print(1)\n");
  std::string first = upstream.commitAll("one");
  auto repo = BareRepo::create(tmp_ / "space.git");
  ASSERT_TRUE(repo);
  FetchOptions options = parseSource("file://" + tmp_ / "upstream");
  auto fetched = fetchUpstream(*repo, options);
  ASSERT_TRUE(fetched) << fetched.error().message;
  EXPECT_EQ(fetched->branch, "main");
  EXPECT_EQ(fetched->sha, first);
  EXPECT_TRUE(fetched->changed);
  auto again = fetchUpstream(*repo, options);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed);

  writeText(upstream.path("app.py"), "print(2)\n");
  std::string second = upstream.commitAll("two");
  auto moved = fetchUpstream(*repo, options);
  ASSERT_TRUE(moved);
  EXPECT_TRUE(moved->changed);
  EXPECT_EQ(*repo->branchTip(), second);

  // A named branch, and a branch that does not exist.
  ASSERT_EQ(upstream.git({"branch", "dev", first}).status, 0);
  auto dev = fetchUpstream(*repo, parseSource("file://" + tmp_ / "upstream#dev"));
  ASSERT_TRUE(dev) << dev.error().message;
  EXPECT_EQ(dev->sha, first);
  auto none = fetchUpstream(*repo, parseSource("file://" + tmp_ / "upstream#nope"));
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("no branch 'nope'"), std::string::npos);
  auto gone = fetchUpstream(*repo, parseSource("file://" + tmp_ / "missing"));
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().message.find("missing"), std::string::npos);
}

// Writes a commit whose tree holds an entry named `name`, as a hostile client's git could:
// the tree object is written raw, because libgit2's tree builder refuses such names.
std::string commitWithEntry(BareRepo& repo, const std::string& name) {
  git_oid blob, tree, commit;
  EXPECT_EQ(git_blob_create_from_buffer(&blob, repo.raw(), "x", 1), 0);
  std::string raw = "100644 " + name + std::string(1, '\0') +
                    std::string(reinterpret_cast<const char*>(blob.id), GIT_OID_RAWSZ);
  git_odb* odb = nullptr;
  EXPECT_EQ(git_repository_odb(&odb, repo.raw()), 0);
  EXPECT_EQ(git_odb_write(&tree, odb, raw.data(), raw.size(), GIT_OBJECT_TREE), 0);
  git_odb_free(odb);
  git_tree* treeObj = nullptr;
  EXPECT_EQ(git_tree_lookup(&treeObj, repo.raw(), &tree), 0);
  git_signature* sig = nullptr;
  EXPECT_EQ(git_signature_now(&sig, "x", "x@example.com"), 0);
  const git_commit* parents[] = {nullptr};
  EXPECT_EQ(git_commit_create(&commit, repo.raw(), nullptr, sig, sig, nullptr, "evil", treeObj, 0,
                              parents),
            0);
  git_signature_free(sig);
  git_tree_free(treeObj);
  return oidText(commit);
}

TEST_F(GitRepoTest, CraftedTreesCannotEscapeTheExport) {
  auto repo = BareRepo::create(tmp_ / "evil.git");
  ASSERT_TRUE(repo);
  for (std::string name : {"..", ".git", ".GiT"}) {
    std::string sha = commitWithEntry(*repo, name);
    std::string out = tmp_ / ("out" + std::to_string(name.size()) + name.substr(1));
    auto stats = exportTree(*repo, sha, out);
    ASSERT_FALSE(stats) << name;
    EXPECT_NE(stats.error().message.find(sha), std::string::npos) << stats.error().message;
    EXPECT_NE(stats.error().message.find("the commit's path '" + name + "'"), std::string::npos)
        << stats.error().message;
  }
  EXPECT_FALSE(fs::exists(tmp_ / "x"));
}

TEST_F(GitRepoTest, ExportLimitsAreEnforced) {
  auto repo = BareRepo::create(tmp_ / "big.git");
  WorkTree work(tmp_ / "work");
  for (int i = 0; i < 5; ++i) writeText(work.path("f" + std::to_string(i)), std::string(100, 'x'));
  std::string sha = work.commitAll("five");
  ASSERT_EQ(work.git({"push", "-q", repo->path(), "HEAD:main"}).status, 0);
  auto tooMany = exportTree(*repo, sha, tmp_ / "a", ExportLimits{1 << 20, 4, 8});
  ASSERT_FALSE(tooMany);
  EXPECT_NE(tooMany.error().message.find("git.export_max_files"), std::string::npos);
  auto tooBig = exportTree(*repo, sha, tmp_ / "b", ExportLimits{450, 100, 8});
  ASSERT_FALSE(tooBig);
  EXPECT_NE(tooBig.error().message.find("git.export_max_bytes"), std::string::npos);
  EXPECT_TRUE(exportTree(*repo, sha, tmp_ / "c", ExportLimits{500, 5, 8}));
}

}  // namespace
}  // namespace spacelet::agent::git
