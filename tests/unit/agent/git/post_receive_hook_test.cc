// The post-receive hook script (golden) and the shell quoting it relies on; the hook itself
// runs under real git in tests/integration/agent_git.
#include <gtest/gtest.h>

#include "agent/git/post_receive_hook.h"
#include "agent/git/tree_export.h"

namespace spacelet::agent::git {
namespace {

TEST(PostReceiveHook, Golden) {
  HookSettings settings{"/usr/bin/spacectl", "/run/spacelet/spacelet.sock", "alice/demo"};
  EXPECT_EQ(renderPostReceiveHook(settings),
            "#!/bin/sh\n"
            "# Installed by spaceletd for the Space alice/demo: tells the agent about this push "
            "so that it builds and\n"
            "# deploys the new commit. Reinstalled at every agent start; edits are overwritten.\n"
            "exec '/usr/bin/spacectl' --socket '/run/spacelet/spacelet.sock' notify 'alice/demo' "
            "--hook\n");
}

TEST(PostReceiveHook, QuotesHostilePaths) {
  EXPECT_EQ(shellQuote("plain"), "'plain'");
  EXPECT_EQ(shellQuote("it's $(rm -rf /)"), "'it'\\''s $(rm -rf /)'");
  HookSettings settings{"/opt/my tools/spacectl", "/tmp/a'b.sock", "a/b"};
  std::string hook = renderPostReceiveHook(settings);
  EXPECT_NE(hook.find("exec '/opt/my tools/spacectl' --socket '/tmp/a'\\''b.sock'"),
            std::string::npos)
      << hook;
}

TEST(TreeExport, RefusesEscapingNames) {
  EXPECT_TRUE(checkEntryName("app.py"));
  EXPECT_TRUE(checkEntryName(".gitignore"));
  EXPECT_TRUE(checkEntryName("..."));
  for (const char* bad : {"", ".", "..", "a/b", ".git", ".GIT", ".Git"}) {
    EXPECT_FALSE(checkEntryName(bad)) << "'" << bad << "'";
  }
}

}  // namespace
}  // namespace spacelet::agent::git
