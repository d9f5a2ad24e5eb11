// The hook runner: state on stdin, exit status, output kept for messages, timeouts. Runs
// /bin/sh hooks (no root needed).
#include "sandbox/hooks/hooks.h"

#include <gtest/gtest.h>

#include <chrono>

namespace spacelet::sandbox::hooks {
namespace {

spec::Hook shell(const std::string& script, std::optional<int> timeout = {}) {
  return {"/bin/sh", {"sh", "-c", script}, {"GREETING=hi"}, timeout};
}

TEST(Hooks, StateOnStdinAndEnv) {
  PreparedHook hook(shell("read line; echo \"$GREETING $line\"; exit 4"));
  HookOutcome out;
  std::string state = "{\"id\":\"x\"}\n";
  runHook(hook, state.data(), state.size(), out);
  EXPECT_EQ(out.err, 0);
  EXPECT_EQ(out.exitStatus, 4);
  EXPECT_STREQ(out.output, "hi {\"id\":\"x\"}\n");
  EXPECT_FALSE(out.ok());
  EXPECT_EQ(describeFailure(out, "prestart", 2, "/bin/sh"),
            "hooks.prestart[2] '/bin/sh' exited with status 4: hi {\"id\":\"x\"}");
}

TEST(Hooks, TimeoutKills) {
  PreparedHook hook(shell("sleep 30", 1));
  HookOutcome out;
  auto start = std::chrono::steady_clock::now();
  runHook(hook, "", 0, out);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(out.timedOut);
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_NE(
      describeFailure(out, "poststop", 0, "/bin/sh").find("did not finish within its timeout"),
      std::string::npos);
}

TEST(Hooks, RunHooksStopsAtTheFirstFailure) {
  std::vector<PreparedHook> hooks =
      prepareHooks({shell("exit 0"), shell("echo bad >&2; exit 2"), shell("exit 0")});
  auto r = runHooks(hooks, "{}", "createRuntime");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "hooks.createRuntime[1] '/bin/sh' exited with status 2: bad");
  EXPECT_TRUE(runHooks(prepareHooks({shell("cat >/dev/null")}), std::string(200000, 'x'), "x"))
      << "a large state is delivered";
  auto missing = runHooks(prepareHooks({{"/no/such/hook", {}, {}, {}}}), "{}", "poststart");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("could not be executed"), std::string::npos);
}

}  // namespace
}  // namespace spacelet::sandbox::hooks
