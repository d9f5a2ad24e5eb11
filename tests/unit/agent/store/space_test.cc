// Tests of the Space model's rules: Hugging Face's id rules (each bad shape refused with a
// message naming it), stage names, SDKs, sleep times, env keys and source URLs; the JSON view,
// the change diff and the log line format.
#include "agent/store/space.h"

#include <gtest/gtest.h>

#include "agent/store/space_json.h"
#include "agent/store/space_paths.h"

namespace spacelet::agent::store {
namespace {

TEST(SpaceId, AcceptsHuggingFaceNames) {
  for (const char* ok :
       {"alice/demo", "Alice-1/my_space.v2", "a/b", "org.name/x-y_z", "u/0123456789"}) {
    auto id = parseSpaceId(ok);
    EXPECT_TRUE(id) << ok << ": " << id.error().message;
  }
  auto id = parseSpaceId("alice/demo");
  EXPECT_EQ(id->author, "alice");
  EXPECT_EQ(id->name, "demo");
  EXPECT_EQ(id->str(), "alice/demo");
  EXPECT_TRUE(parseSpaceId("a/" + std::string(96, 'x')));
}

TEST(SpaceId, RefusesEverythingElseAndSaysWhy) {
  struct Case {
    std::string id;
    std::string why;
  };
  std::vector<Case> cases = {
      {"demo", "must be 'author/name'"},
      {"a/b/c", "must be 'author/name'"},
      {"/demo", "author is empty"},
      {"alice/", "name is empty"},
      {"alice/" + std::string(97, 'x'), "longer than 96"},
      {std::string(97, 'x') + "/demo", "longer than 96"},
      {"alice/de mo", "may only use letters, digits"},
      {"alice/dé", "may only use letters, digits"},
      {"alice/a--b", "must not contain '--' or '..'"},
      {"alice/a..b", "must not contain '--' or '..'"},
      {"alice/..", "must not contain '--' or '..'"},
      {"alice/-demo", "must not start or end"},
      {"alice/demo-", "must not start or end"},
      {"alice/.demo", "must not start or end"},
      {"alice/demo.", "must not start or end"},
      {std::string("alice/de\0mo", 11), "may only use letters"},
      {"alice/de%2Fmo", "may only use letters"},
  };
  for (const auto& c : cases) {
    auto id = parseSpaceId(c.id);
    ASSERT_FALSE(id) << c.id;
    EXPECT_NE(id.error().message.find(c.why), std::string::npos)
        << c.id << ": " << id.error().message;
    EXPECT_EQ(id.error().code, EINVAL);
  }
  // Control characters are shown escaped, never raw.
  auto nul = parseSpaceId(std::string("alice/de\0mo", 11));
  EXPECT_NE(nul.error().message.find("\\x00"), std::string::npos);
}

TEST(Stage, NamesRoundTrip) {
  EXPECT_EQ(allStages().size(), 13u);
  for (Stage s : allStages()) EXPECT_EQ(parseStage(stageName(s)), s);
  EXPECT_EQ(stageName(Stage::kNoAppFile), "NO_APP_FILE");
  EXPECT_EQ(stageName(Stage::kRunningAppStarting), "RUNNING_APP_STARTING");
  EXPECT_FALSE(parseStage("running"));
}

TEST(Rules, SdkSleepTimeKeysAndSources) {
  EXPECT_TRUE(validateSdk("gradio"));
  EXPECT_TRUE(validateSdk("static"));
  auto sdk = validateSdk("flask");
  ASSERT_FALSE(sdk);
  EXPECT_NE(sdk.error().message.find("'flask' is not one of 'gradio'"), std::string::npos);
  EXPECT_TRUE(validateSleepTime(-1));
  EXPECT_TRUE(validateSleepTime(300));
  EXPECT_FALSE(validateSleepTime(0));
  EXPECT_FALSE(validateSleepTime(59));
  EXPECT_FALSE(validateSleepTime(-2));
  EXPECT_TRUE(validateEnvKey("HF_TOKEN"));
  EXPECT_TRUE(validateEnvKey("_x1"));
  EXPECT_FALSE(validateEnvKey("1X"));
  EXPECT_FALSE(validateEnvKey("A-B"));
  EXPECT_FALSE(validateEnvKey(""));
  EXPECT_FALSE(validateEnvKey(std::string(129, 'A')));
  auto reserved = validateEnvKey("SPACE_ID");
  ASSERT_FALSE(reserved);
  EXPECT_NE(reserved.error().message.find("set by spacelet"), std::string::npos);
  EXPECT_TRUE(validateSourceUrl("https://github.com/a/b.git"));
  EXPECT_TRUE(validateSourceUrl("file:///srv/repos/x.git"));
  EXPECT_TRUE(validateSourceUrl("git@github.com:a/b.git"));
  EXPECT_FALSE(validateSourceUrl("ftp://x/y"));
  EXPECT_FALSE(validateSourceUrl("https://x/y z"));
  EXPECT_FALSE(validateSourceUrl("--upload-pack=evil"));
  EXPECT_FALSE(validateSourceUrl(""));
}

TEST(SpaceJson, RuntimeFieldsAndDiff) {
  Space s;
  s.id = {"alice", "demo"};
  s.sdk = "gradio";
  s.hardwareRequested = "cpu-basic";
  s.sleepSeconds = 172800;
  s.createdAtMs = 1767323045678;
  auto j = spaceToJson(s);
  EXPECT_EQ(j["id"], "alice/demo");
  EXPECT_EQ(j["stage"], "NO_APP_FILE");
  EXPECT_TRUE(j["hardware"]["current"].is_null());
  EXPECT_EQ(j["hardware"]["requested"], "cpu-basic");
  EXPECT_TRUE(j["sha"].is_null());
  EXPECT_EQ(j["created_at"], "2026-01-02T03:04:05.678Z");

  Space t = s;
  t.stage = Stage::kPaused;
  t.hardwareRequested = "cpu-upgrade";
  t.updatedAtMs = 99;  // timestamps are not changes
  auto d = diffSpaces(s, t);
  EXPECT_EQ(d.size(), 2u) << d.dump();
  EXPECT_EQ(d["stage"]["from"], "NO_APP_FILE");
  EXPECT_EQ(d["stage"]["to"], "PAUSED");
  EXPECT_EQ(d["hardware.requested"]["to"], "cpu-upgrade");
  EXPECT_TRUE(diffSpaces(s, s).empty());
}

TEST(SpacePaths, LayoutAndLogLines) {
  SpaceId id{"alice", "demo"};
  EXPECT_EQ(logPath("/var/lib/spacelet", id, LogKind::kBuild),
            "/var/lib/spacelet/spaces/alice/demo/logs/build.log");
  EXPECT_EQ(logPath("/s", id, LogKind::kRun), "/s/spaces/alice/demo/logs/run.log");
  EXPECT_EQ(
      formatLogLine(1767323045678, "Step 1/3 : FROM x \"q\""),
      "{\"data\":\"Step 1/3 : FROM x \\\"q\\\"\",\"timestamp\":\"2026-01-02T03:04:05.678Z\"}\n");
  // Invalid UTF-8 from an app does not make the line unwritable.
  EXPECT_NE(formatLogLine(0, "bad \xff byte").find("bad"), std::string::npos);
}

}  // namespace
}  // namespace spacelet::agent::store
