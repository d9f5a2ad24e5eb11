// The real spaceletd over its real socket with a real database: node info, the Space
// collection, actions, and every kind of bad input the API must refuse (Hugging Face's id
// rules, path tricks, malformed JSON, wrong types, unknown fields, oversize bodies, limits).
#include <gtest/gtest.h>

#include <thread>

#include "agent_fixture.h"

namespace spacelet::agent::testing {
namespace {

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(agent_.start(), ""); }
  HttpReply create(const std::string& body) const {
    return agent_.call("POST", "/v1/spaces", body);
  }
  AgentInstance agent_{"limits:\n  max_spaces: 5\napi:\n  max_body_bytes: 4Ki\n"};
};

TEST_F(ApiTest, InfoDescribesTheNode) {
  auto r = agent_.call("GET", "/v1/info");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/json");
  auto j = r.json();
  EXPECT_EQ(j["api"], "v1");
  EXPECT_FALSE(j["version"].get<std::string>().empty());
  EXPECT_TRUE(j["cgroup"]["mode"] == "unified" || j["cgroup"]["mode"] == "hybrid" ||
              j["cgroup"]["mode"] == "legacy");
  EXPECT_GT(j["capacity"]["cpus"].get<int>(), 0);
  EXPECT_GT(j["capacity"]["memory"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["capacity"]["max_spaces"], 5);
  bool basic = false;
  for (const auto& f : j["flavors"]) {
    if (f["name"] == "cpu-basic") {
      basic = true;
      EXPECT_EQ(f["cpus"], 2.0);
      EXPECT_EQ(f["memory"], 16ull << 30);
    }
  }
  EXPECT_TRUE(basic);
  EXPECT_TRUE(j["gpus"].is_array());
}

TEST_F(ApiTest, CreateGetListDelete) {
  auto r = create(R"({"id":"alice/demo","sdk":"static","hardware":"cpu-upgrade","sleep_time":3600,
                      "source":"https://example.com/a.git","variables":{"MODEL":"gpt2"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.headers["location"], "/v1/spaces/alice/demo");
  auto j = r.json();
  EXPECT_EQ(j["id"], "alice/demo");
  EXPECT_EQ(j["stage"], "NO_APP_FILE");
  EXPECT_EQ(j["sdk"], "static");
  EXPECT_EQ(j["hardware"]["requested"], "cpu-upgrade");
  EXPECT_TRUE(j["hardware"]["current"].is_null());  // nothing runs: nothing pretends to
  EXPECT_EQ(j["sleep_time"], 3600);
  EXPECT_EQ(j["source"], "https://example.com/a.git");
  for (const char* field : {"sha", "error_message", "address", "last_exit"})
    EXPECT_TRUE(j[field].is_null()) << field;
  EXPECT_EQ(j["restarts"], 0);
  for (const char* field : {"created_at", "updated_at", "stage_changed_at"})
    EXPECT_TRUE(j[field].is_string()) << field;

  ASSERT_EQ(create(R"({"id":"bob/web"})").status, 201);
  auto defaults = agent_.call("GET", "/v1/spaces/bob/web").json();
  EXPECT_EQ(defaults["sdk"], "gradio");
  EXPECT_EQ(defaults["hardware"]["requested"], "cpu-basic");
  EXPECT_EQ(defaults["sleep_time"], 172800);

  auto list = agent_.call("GET", "/v1/spaces");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json()["spaces"].size(), 2u);
  EXPECT_EQ(list.json()["spaces"][0]["id"], "alice/demo");
  auto mine = agent_.call("GET", "/v1/spaces?author=bob");
  ASSERT_EQ(mine.json()["spaces"].size(), 1u);

  auto del = agent_.call("DELETE", "/v1/spaces/alice/demo");
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(del.json()["deleted"], true);
  EXPECT_EQ(agent_.call("GET", "/v1/spaces/alice/demo").status, 404);
  EXPECT_EQ(agent_.call("DELETE", "/v1/spaces/alice/demo").status, 404);
  EXPECT_EQ(create(R"({"id":"alice/demo"})").status, 201);  // the id is free again
}

TEST_F(ApiTest, DuplicatesAndTheSpaceLimitAreConflicts) {
  ASSERT_EQ(create(R"({"id":"a/one"})").status, 201);
  auto dup = create(R"({"id":"a/one"})");
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(dup.json()["error"]["code"], "already_exists");
  for (const char* id : {"a/two", "a/three", "a/four", "a/five"})
    ASSERT_EQ(create(std::string(R"({"id":")") + id + "\"}").status, 201);
  auto over = create(R"({"id":"a/six"})");
  EXPECT_EQ(over.status, 409);
  EXPECT_NE(over.errorMessage().find("limits.max_spaces"), std::string::npos) << over.body;
}

TEST_F(ApiTest, SpaceIdsFollowHuggingFaceRules) {
  std::vector<std::pair<std::string, std::string>> bad = {
      {"demo", "must be 'author/name'"},
      {"a/b/c", "must be 'author/name'"},
      {"alice/" + std::string(97, 'x'), "longer than 96"},
      {"alice/de mo", "may only use"},
      {"alice/a--b", "'--' or '..'"},
      {"alice/a..b", "'--' or '..'"},
      {"alice/-x", "must not start or end"},
      {"alice/x.", "must not start or end"},
      {"/x", "author is empty"},
  };
  for (const auto& [id, why] : bad) {
    auto r = create(nlohmann::json({{"id", id}}).dump());
    EXPECT_EQ(r.status, 400) << id;
    EXPECT_NE(r.errorMessage().find("field 'id'"), std::string::npos) << r.body;
    EXPECT_NE(r.errorMessage().find(why), std::string::npos) << id << ": " << r.body;
  }
  EXPECT_EQ(create(nlohmann::json({{"id", "alice/" + std::string(96, 'x')}}).dump()).status, 201);
}

TEST_F(ApiTest, PathTricksAreRefusedBeforeAnyHandler) {
  ASSERT_EQ(create(R"({"id":"alice/demo"})").status, 201);
  struct Case {
    std::string path;
    int status;
  };
  std::vector<Case> cases = {
      {"/v1/spaces/alice/../alice/demo", 400},
      {"/v1/spaces/alice/%2e%2e", 400},
      {"/v1/spaces/alice%2Fdemo/x", 400},
      {"/v1/spaces/alice/de%00mo", 400},
      {"/v1/spaces/alice/de%0amo", 400},
      {"/v1/spaces//demo", 400},
      {"/v1/spaces/alice/demo/", 400},
      {"/v1/spaces/alice/%zz", 400},
      {"/v1/spaces/alice/" + std::string(97, 'x'), 400},
      {"/v1/spaces/alice/-demo", 400},
      {"/v1/spaces/alice/demo/secrets/..", 400},
      {"/v1/nothing", 404},
      {"/v1/spaces/alice/demo/frobnicate", 404},
  };
  for (const auto& c : cases) {
    auto r = agent_.call("GET", c.path);
    EXPECT_EQ(r.status, c.status) << c.path << ": " << r.body;
    EXPECT_TRUE(r.json().contains("error")) << c.path;
  }
  // A long request line gets an error, not a crash.
  std::string longLine =
      "GET /v1/spaces/" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(rawExchange(agent_.socket(), longLine).substr(0, 10), "HTTP/1.1 4");
  // A request line larger than the connection's memory (32 KiB) is held by libmicrohttpd
  // 0.9.75 until the client gives up or api.idle_timeout passes; it must not hold up anyone else.
  std::thread hog([&] {
    std::string huge =
        "GET /v1/spaces/" + std::string(100000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n";
    EXPECT_NE(rawExchange(agent_.socket(), huge, std::chrono::seconds(2)).substr(0, 12),
              "HTTP/1.1 200");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(agent_.call("GET", "/v1/spaces/alice/demo").status, 200);
  hog.join();
}

TEST_F(ApiTest, WrongMethodIs405WithAllow) {
  auto r = agent_.call("PATCH", "/v1/spaces");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "GET, POST");
}

TEST_F(ApiTest, MalformedBodiesNameTheField) {
  struct Case {
    std::string body;
    std::string message;
  };
  std::vector<Case> cases = {
      {"", "body is empty"},
      {"{\"id\":", "malformed JSON at byte"},
      {"[1,2]", "must be a JSON object, not an array"},
      {R"({"sdk":"gradio"})", "field 'id' is required"},
      {R"({"id":42})", "field 'id' must be a string, not an integer"},
      {R"({"id":"a/b","sleep_time":"1h"})", "field 'sleep_time' must be an integer, not a string"},
      {R"({"id":"a/b","sleep_time":1.5})", "field 'sleep_time' must be an integer"},
      {R"({"id":"a/b","sleep_time":10})", "field 'sleep_time'"},
      {R"({"id":"a/b","colour":"blue"})", "unknown field 'colour'"},
      {R"({"id":"a/b","sdk":"flask"})", "field 'sdk': sdk 'flask' is not one of"},
      {R"({"id":"a/b","hardware":"h200"})", "field 'hardware': 'h200' is not a flavor"},
      {R"({"id":"a/b","source":"ftp://x"})", "field 'source'"},
      {R"({"id":"a/b","secrets":["x"]})", "field 'secrets' must be an object"},
      {R"({"id":"a/b","secrets":{"K":1}})", "field 'secrets.K' must be a string"},
      {R"({"id":"a/b","secrets":{"K":{"value":"v","x":1}}})", "unknown field 'x'"},
      {R"({"id":"a/b","variables":{"1BAD":"v"}})", "field 'variables': key '1BAD'"},
      {R"({"id":"a/b","variables":{"SPACE_ID":"v"}})", "set by spacelet"},
      {"{\"id\":\"a/b\",\"x\":\"\xff\"}", "malformed JSON"},
  };
  for (const auto& c : cases) {
    auto r = create(c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_EQ(r.json()["error"]["code"], "invalid_request") << c.body;
    EXPECT_NE(r.errorMessage().find(c.message), std::string::npos) << c.body << " -> " << r.body;
  }
  EXPECT_EQ(agent_.call("GET", "/v1/spaces").json()["spaces"].size(), 0u);  // nothing half-made
}

TEST_F(ApiTest, BodiesOverTheLimitAre413) {
  std::string big = R"({"id":"a/b","variables":{"X":")" + std::string(8192, 'x') + "\"}}";
  auto r = create(big);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.json()["error"]["code"], "payload_too_large");
  EXPECT_NE(r.errorMessage().find("api.max_body_bytes"), std::string::npos);
  // Chunked uploads carry no Content-Length; the limit applies as they arrive.
  std::string chunked =
      "POST /v1/spaces HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: "
      "chunked\r\n\r\n";
  for (int i = 0; i < 8; ++i) chunked += "400\r\n" + std::string(1024, 'y') + "\r\n";
  chunked += "0\r\n\r\n";
  EXPECT_EQ(rawExchange(agent_.socket(), chunked).substr(0, 12), "HTTP/1.1 413");
  EXPECT_EQ(agent_.call("GET", "/v1/info").status, 200);  // the agent is fine
}

TEST_F(ApiTest, PauseResumeRestartAreRecordedAndChangeStages) {
  ASSERT_EQ(create(R"({"id":"alice/demo"})").status, 201);
  auto paused = agent_.call("POST", "/v1/spaces/alice/demo/pause");
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_EQ(paused.json()["stage"], "PAUSED");
  EXPECT_EQ(agent_.call("POST", "/v1/spaces/alice/demo/pause").json()["stage"],
            "PAUSED");  // idempotent
  auto resumed = agent_.call("POST", "/v1/spaces/alice/demo/resume");
  ASSERT_EQ(resumed.status, 200);
  EXPECT_EQ(resumed.json()["stage"], "NO_APP_FILE");
  auto again = agent_.call("POST", "/v1/spaces/alice/demo/resume");
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.errorMessage().find("is not paused"), std::string::npos);

  EXPECT_EQ(agent_.call("POST", "/v1/spaces/alice/demo/restart?factory=true").status, 200);
  EXPECT_EQ(agent_.call("POST", "/v1/spaces/alice/demo/restart", R"({"factory":false})").status,
            200);
  EXPECT_EQ(agent_.call("POST", "/v1/spaces/alice/demo/restart", R"({"factory":"yes"})").status,
            400);
  EXPECT_EQ(agent_.call("POST", "/v1/spaces/alice/demo/restart?factory=maybe").status, 400);
  // A paused Space restarts into its previous stage, as Hugging Face's restart does.
  ASSERT_EQ(agent_.call("POST", "/v1/spaces/alice/demo/pause").status, 200);
  EXPECT_EQ(agent_.call("POST", "/v1/spaces/alice/demo/restart").json()["stage"], "NO_APP_FILE");

  auto events = httpRequest(agent_.socket(), "GET", "/v1/events?space=alice/demo&tail=100").body;
  EXPECT_NE(events.find(R"("action":"restart","by_uid":)"), std::string::npos);
  EXPECT_NE(events.find(R"("factory":true)"), std::string::npos);
  EXPECT_NE(events.find(R"("action":"pause")"), std::string::npos);
  EXPECT_EQ(agent_.call("POST", "/v1/spaces/nobody/x/pause").status, 404);
}

TEST_F(ApiTest, HardwareSleepTimeAndNotify) {
  ASSERT_EQ(create(R"({"id":"alice/demo"})").status, 201);
  auto hw = agent_.call("PUT", "/v1/spaces/alice/demo/hardware", R"({"flavor":"t4-small"})");
  ASSERT_EQ(hw.status, 200) << hw.body;
  EXPECT_EQ(hw.json()["hardware"]["requested"], "t4-small");
  EXPECT_TRUE(hw.json()["hardware"]["current"].is_null());
  EXPECT_NE(agent_.call("PUT", "/v1/spaces/alice/demo/hardware", R"({"flavor":"x9"})")
                .errorMessage()
                .find("'x9' is not a flavor"),
            std::string::npos);
  EXPECT_EQ(agent_.call("PUT", "/v1/spaces/alice/demo/hardware", R"({})").status, 400);
  EXPECT_EQ(agent_.call("PUT", "/v1/spaces/alice/demo/hardware", R"({"flavor":"cpu-basic","x":1})")
                .status,
            400);

  auto sleep = agent_.call("PUT", "/v1/spaces/alice/demo/sleeptime", R"({"seconds":-1})");
  ASSERT_EQ(sleep.status, 200) << sleep.body;
  EXPECT_EQ(sleep.json()["sleep_time"], -1);
  EXPECT_EQ(agent_.call("PUT", "/v1/spaces/alice/demo/sleeptime", R"({"seconds":5})").status, 400);
  EXPECT_EQ(agent_.call("PUT", "/v1/spaces/alice/demo/sleeptime", R"({"seconds":"5m"})").status,
            400);

  auto notify = agent_.call("POST", "/v1/spaces/alice/demo/notify",
                            R"({"ref":"refs/heads/main","sha":"0123abcd"})");
  EXPECT_EQ(notify.status, 202) << notify.body;
  EXPECT_EQ(agent_.call("POST", "/v1/spaces/alice/demo/notify").status, 202);
  EXPECT_EQ(agent_.call("POST", "/v1/spaces/alice/demo/notify", R"({"sha":"xyz"})").status, 400);
  EXPECT_EQ(agent_.call("POST", "/v1/spaces/alice/demo/notify", R"({"ref":"main branch"})").status,
            400);
}

}  // namespace
}  // namespace spacelet::agent::testing
