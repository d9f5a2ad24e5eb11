// Process planning and the sync protocol's pieces that need no clone: PATH search, the
// fixed-size text builder, messages over a real socketpair.
#include <gtest/gtest.h>
#include <unistd.h>

#include "sandbox/process/process_plan.h"
#include "sandbox/process/sync.h"

namespace spacelet::sandbox::process {
namespace {

TEST(ProcessPlan, ProgramCandidates) {
  EXPECT_EQ(programCandidates({"/bin/sh"}, {}), std::vector<std::string>{"/bin/sh"});
  EXPECT_EQ(programCandidates({"./run"}, {}), std::vector<std::string>{"./run"});
  EXPECT_EQ(programCandidates({"sh"}, {"PATH=/a:/b", "X=1"}),
            (std::vector<std::string>{"/a/sh", "/b/sh"}));
  EXPECT_EQ(programCandidates({"sh"}, {"PATH=/a::/b"})[1], "./sh") << "empty entry: cwd";
  EXPECT_EQ(programCandidates({"sh"}, {}).size(), 6u) << "the default PATH";
}

TEST(ProcessPlan, BuildKeepsArgvPointingAtItsStrings) {
  spec::Process p;
  p.args = {"/bin/echo", "a long argument that is not in the small-string buffer"};
  p.env = {"A=1"};
  p.capabilities = spec::Capabilities{~0ull, ~0ull, 0, ~0ull, 0};
  auto plan = buildProcessPlan(p, std::nullopt, true);
  ASSERT_TRUE(plan) << plan.error().message;
  ProcessPlan moved = std::move(*plan);
  ASSERT_EQ(moved.argv.size(), 3u);
  EXPECT_STREQ(moved.argv[1], moved.args[1].c_str()) << "still valid after a move";
  EXPECT_EQ(moved.argv[2], nullptr);
  EXPECT_STREQ(moved.envp[0], "A=1");
  EXPECT_EQ(moved.capabilities->bounding >> (moved.lastCap + 1), 0u) << "clamped to the kernel";
}

TEST(Sync, FixedText) {
  char buf[16];
  FixedText text(buf, sizeof buf);
  text.add("pid ").addInt(-42).add(" and more text than fits");
  EXPECT_STREQ(buf, "pid -42 and mor");
}

TEST(Sync, MessagesAndErrors) {
  auto pair = makeSyncPair();
  ASSERT_TRUE(pair);
  int32_t pid = 77;
  ASSERT_TRUE(sendMessage(pair->child.get(), Message::kInitPid, &pid, sizeof pid));
  auto got = receiveAny(pair->parent.get());
  ASSERT_TRUE(got);
  EXPECT_EQ(got->message, Message::kInitPid);
  ASSERT_EQ(got->payload.size(), sizeof pid);
  ChildErrorRecord record;
  record.code = ENOENT;
  FixedText(record.message, sizeof record.message).add("open '/x'");
  ASSERT_TRUE(sendMessage(pair->child.get(), Message::kError, &record, sizeof record));
  auto err = receiveAny(pair->parent.get());
  ASSERT_TRUE(err);
  Error e = childError(err->payload);
  EXPECT_EQ(e.code, ENOENT);
  EXPECT_EQ(e.message, "open '/x': No such file or directory");
  ASSERT_TRUE(sendOrFail(pair->parent.get(), Message::kParentReady));
  EXPECT_FALSE(receiveMessage(pair->child.get(), Message::kStart)) << "a different message";
  pair->child.reset();
  auto eof = receiveAny(pair->parent.get());
  ASSERT_TRUE(eof);
  EXPECT_TRUE(eof->eof);
}

TEST(Sync, FdsTravel) {
  auto pair = makeSyncPair();
  ASSERT_TRUE(pair);
  ASSERT_TRUE(sendFds(pair->parent.get(), Message::kMountSources, {0, 1}));
  int fds[2] = {-1, -1};
  ASSERT_TRUE(receiveFds(pair->child.get(), Message::kMountSources, fds, 2));
  EXPECT_GE(fds[0], 0);
  EXPECT_NE(fds[0], 0) << "a new fd for the same file";
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace
}  // namespace spacelet::sandbox::process
