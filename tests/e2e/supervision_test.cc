// Supervision end to end: an app that exits in a loop is restarted with backoff (first at
// once, then backoff_initial doubling), shows RUNTIME_ERROR with its exit and the last log
// lines; an app that allocates past its flavor's memory (64 MiB here; on this hybrid host the
// cgroup v1 memory controller enforces it) is named as "Memory limit exceeded (64Mi)".
#include <gtest/gtest.h>

#include <set>

#include "space_files.h"
#include "space_node.h"

namespace spacelet::e2e {
namespace {

using namespace std::chrono_literals;

TEST(E2eSupervision, AnAppExitingInALoopIsRestartedWithBackoffAndShowsRuntimeError) {
  SpaceNode node;
  ASSERT_EQ(node.start(), "");
  std::string id = node.spaceId("crashloop");
  // Answers the health probe, then ends with exit code 3 two seconds later.
  std::string script =
      "httpd -p 8080 -h /srv/www; sleep 2; echo crash-loop: leaving with code 3; exit 3";
  auto pushed =
      node.createDockerSpaceAndPush(id, dockerSpace("crash loop", script), "exits in a loop");
  ASSERT_EQ(pushed.status, 0) << pushed.output;

  // Restarts 1 (at once), 2 (after 2 s), 3 (after 4 s): every delay the config's backoff
  // (backoff_initial 2s, backoff_max 8s) says, each shown while it waits.
  std::set<std::string> delays;
  nlohmann::json last;
  auto start = std::chrono::steady_clock::now();
  bool looped = eventually(
      [&] {
        last = node.runtime(id);
        std::string error = field(last, "error_message");
        if (field(last, "stage") == "RUNTIME_ERROR") {
          for (const char* d : {"restarting now", "restarting in 2s", "restarting in 4s"}) {
            if (error.find(d) != std::string::npos) delays.insert(d);
          }
        }
        return number(last, "restarts") >= 4;
      },
      150s);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(looped) << node.describe(id);
  EXPECT_EQ(delays.count("restarting in 2s"), 1u) << "the second restart waits backoff_initial";
  EXPECT_EQ(delays.count("restarting in 4s"), 1u) << "the third waits twice as long";
  // Four crashes: about 4 x 2 s of running plus 0 + 2 + 4 s of backoff.
  EXPECT_GE(took, 10s);
  EXPECT_EQ(field(last, "last_exit"), "exit code 3");
  std::string error;
  EXPECT_TRUE(eventually(
      [&] {
        auto now = node.runtime(id);
        error = field(now, "error_message");
        return field(now, "stage") == "RUNTIME_ERROR" &&
               error.find("restarting in") != std::string::npos;
      },
      30s))
      << node.describe(id);
  EXPECT_NE(error.find("the app stopped: exit code 3"), std::string::npos) << error;
  EXPECT_NE(error.find("Last log lines:"), std::string::npos) << error;
  EXPECT_NE(error.find("crash-loop: leaving with code 3"), std::string::npos) << error;
  // No container piles up: at most the one being restarted.
  EXPECT_LE(node.containers().size(), 1u);
}

TEST(E2eSupervision, AnAppAllocatingPastItsFlavorsMemoryShowsTheOomReason) {
  SpaceNode node;
  ASSERT_EQ(node.start(), "");
  std::string id = node.spaceId("oom");
  // Serves, then reads 128 MiB of zeros into one buffer: twice the flavor's 64 MiB.
  std::string script =
      "httpd -p 8080 -h /srv/www; sleep 2; echo allocating; "
      "dd if=/dev/zero of=/dev/null bs=128M count=1; echo dd ended with $?";
  auto pushed = node.createDockerSpaceAndPush(id, dockerSpace("oom", script), "allocates 128 MiB",
                                              {"--hardware", "e2e-tiny"});
  ASSERT_EQ(pushed.status, 0) << pushed.output;
  ASSERT_TRUE(eventually([&] { return number(node.runtime(id), "restarts") >= 1; }, 120s))
      << node.describe(id);
  auto runtime = node.runtime(id);
  EXPECT_EQ(field(runtime, "last_exit"), "Memory limit exceeded (64Mi)") << runtime.dump(2);
  EXPECT_EQ(field(runtime["hardware"], "current"), "e2e-tiny") << runtime.dump(2);
  // RUNTIME_ERROR with the reason and the log's tail while it waits to restart (the runtime is
  // read once per check: a restart clears the error).
  std::string error;
  EXPECT_TRUE(eventually(
      [&] {
        auto now = node.runtime(id);
        error = field(now, "error_message");
        return field(now, "stage") == "RUNTIME_ERROR" &&
               error.find("restarting in") != std::string::npos;
      },
      30s))
      << node.describe(id);
  EXPECT_NE(error.find("the app stopped: Memory limit exceeded (64Mi)"), std::string::npos)
      << error;
  EXPECT_NE(error.find("allocating"), std::string::npos) << error;
}

}  // namespace
}  // namespace spacelet::e2e
