// Secrets and variables through the real agent: CRUD, limits, and the write-only rule — a
// secret value set through the API appears in no response, no event, no log line, and not in
// the database, its WAL or any other file under the state directory in clear.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent_fixture.h"

namespace spacelet::agent::testing {
namespace {

constexpr const char* kSecret = "s3cr3t-VALUE-that-must-never-leak-8c1f";
constexpr const char* kSecret2 = "second-secret-plugh-xyzzy-77";

class ValuesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(agent_.start(), "");
    ASSERT_EQ(agent_.call("POST", "/v1/spaces", R"({"id":"alice/demo"})").status, 201);
  }
  std::string everything() const {
    std::string all = agent_.log();
    for (const auto& e : std::filesystem::recursive_directory_iterator(agent_.dir())) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      all += ss.str();
    }
    return all;
  }
  // Debug logging: not even the most talkative log level may show a secret.
  AgentInstance agent_{
      "limits:\n  max_secrets_per_space: 3\n  max_value_bytes: 1Ki\nlogs:\n  level: debug\n", ""};
};

TEST_F(ValuesTest, SecretsAreWriteOnly) {
  auto put = agent_.call("PUT", "/v1/spaces/alice/demo/secrets/HF_TOKEN",
                         nlohmann::json({{"value", kSecret}, {"description", "hub token"}}).dump());
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.json()["key"], "HF_TOKEN");
  EXPECT_EQ(put.json()["description"], "hub token");
  EXPECT_FALSE(put.json().contains("value"));
  auto list = agent_.call("GET", "/v1/spaces/alice/demo/secrets");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json()["secrets"].size(), 1u);
  EXPECT_EQ(list.json()["secrets"][0]["key"], "HF_TOKEN");
  EXPECT_TRUE(list.json()["secrets"][0]["updated_at"].is_string());
  auto one = agent_.call("GET", "/v1/spaces/alice/demo/secrets/HF_TOKEN");
  ASSERT_EQ(one.status, 200);
  EXPECT_FALSE(one.json().contains("value"));
  EXPECT_EQ(agent_.call("GET", "/v1/spaces/alice/demo/secrets/NOPE").status, 404);

  // Also through create, and through spacectl reading stdin.
  ASSERT_EQ(agent_
                .call("POST", "/v1/spaces",
                      nlohmann::json({{"id", "bob/x"}, {"secrets", {{"A", kSecret}}}}).dump())
                .status,
            201);
  auto cli = spacelet::testing::runCommand(
      {spacectlPath(), "--socket", agent_.socket(), "secret", "set", "alice/demo", "SECOND"},
      std::string(kSecret2) + "\n");
  ASSERT_EQ(cli.status, 0) << cli.output;
  EXPECT_EQ(cli.output.find(kSecret2), std::string::npos);

  std::string responses = list.body + one.body + put.body +
                          agent_.call("GET", "/v1/spaces/alice/demo").body +
                          httpRequest(agent_.socket(), "GET", "/v1/events?tail=1000").body +
                          agent_.call("GET", "/v1/spaces/alice/demo/secrets").body;
  EXPECT_EQ(responses.find(kSecret), std::string::npos);
  EXPECT_EQ(responses.find(kSecret2), std::string::npos);
  EXPECT_NE(responses.find("SECOND"), std::string::npos);

  // The log is at debug level, so every request is in it, but only by its path.
  EXPECT_NE(agent_.log().find("api: PUT /v1/spaces/alice/demo/secrets/HF_TOKEN 200"),
            std::string::npos)
      << agent_.log();
  // Raw bytes of the database, its WAL, the logs and every other file: no clear text.
  std::string raw = everything();
  ASSERT_TRUE(std::filesystem::exists(agent_.stateDir() + "/state.db-wal"));
  EXPECT_EQ(raw.find(kSecret), std::string::npos);
  EXPECT_EQ(raw.find(kSecret2), std::string::npos);
  EXPECT_NE(raw.find("HF_TOKEN"), std::string::npos);  // names are stored, values are not
  EXPECT_EQ(agent_.stop(), 0);
  raw = everything();  // after the WAL is checkpointed into the main file at a clean stop
  EXPECT_EQ(raw.find(kSecret), std::string::npos);
  EXPECT_EQ(raw.find(kSecret2), std::string::npos);
}

TEST_F(ValuesTest, SecretCrudAndLimits) {
  auto path = [](const std::string& k) { return "/v1/spaces/alice/demo/secrets/" + k; };
  for (const char* k : {"A", "B", "C"})
    ASSERT_EQ(agent_.call("PUT", path(k), R"({"value":"v"})").status, 200);
  EXPECT_EQ(agent_.call("PUT", path("A"), R"({"value":"again"})").status,
            200);  // replacing is fine
  auto over = agent_.call("PUT", path("D"), R"({"value":"v"})");
  EXPECT_EQ(over.status, 409);
  EXPECT_NE(over.errorMessage().find("limits.max_secrets_per_space"), std::string::npos);
  auto big =
      agent_.call("PUT", path("A"), nlohmann::json({{"value", std::string(2000, 'x')}}).dump());
  EXPECT_EQ(big.status, 400);
  EXPECT_NE(big.errorMessage().find("limits.max_value_bytes"), std::string::npos);
  EXPECT_EQ(agent_.call("PUT", path("1X"), R"({"value":"v"})").status, 400);
  EXPECT_EQ(agent_.call("PUT", path("SPACE_HOST"), R"({"value":"v"})").status, 400);
  EXPECT_EQ(agent_.call("PUT", path("A"), R"({"value":"a\u0000b"})").status, 400);
  EXPECT_EQ(agent_.call("PUT", path("A"), R"({"value":1})").status, 400);
  EXPECT_EQ(agent_.call("PUT", path("A"), R"({"val":"x"})").status, 400);
  auto del = agent_.call("DELETE", path("B"));
  ASSERT_EQ(del.status, 200);
  EXPECT_EQ(del.json()["deleted"], true);
  EXPECT_EQ(agent_.call("DELETE", path("B")).status, 404);
  EXPECT_EQ(agent_.call("GET", "/v1/spaces/alice/demo/secrets").json()["secrets"].size(), 2u);
  EXPECT_EQ(agent_.call("GET", "/v1/spaces/nobody/x/secrets").status, 404);
}

TEST_F(ValuesTest, VariablesShowTheirValues) {
  auto put = agent_.call("PUT", "/v1/spaces/alice/demo/variables/MODEL",
                         R"({"value":"gpt2","description":"which"})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.json()["value"], "gpt2");
  auto list = agent_.call("GET", "/v1/spaces/alice/demo/variables");
  ASSERT_EQ(list.json()["variables"].size(), 1u);
  EXPECT_EQ(list.json()["variables"][0]["value"], "gpt2");
  EXPECT_EQ(list.json()["variables"][0]["description"], "which");
  EXPECT_EQ(agent_.call("GET", "/v1/spaces/alice/demo/variables/MODEL").json()["value"], "gpt2");
  EXPECT_EQ(agent_.call("DELETE", "/v1/spaces/alice/demo/variables/MODEL").status, 200);
  EXPECT_EQ(agent_.call("GET", "/v1/spaces/alice/demo/variables/MODEL").status, 404);
}

}  // namespace
}  // namespace spacelet::agent::testing
