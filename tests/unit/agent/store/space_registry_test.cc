// Tests of the registry, the one place Space state changes: each change is stored with its
// event, survives reopening, is published to listeners; secrets are sealed (never in the
// database in clear) and open only with the same node key.
#include "agent/store/space_registry.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/store/space_paths.h"
#include "test_env.h"

namespace spacelet::agent::store {
namespace {

using spacelet::testing::TempDir;

secrets::SecretBox makeBox(uint8_t fill) {
  std::array<uint8_t, secrets::kNodeKeyBytes> bytes;
  bytes.fill(fill);
  return secrets::SecretBox(secrets::NodeKey(bytes, "test key " + std::to_string(fill)));
}

class RegistryTest : public ::testing::Test {
 protected:
  std::unique_ptr<SpaceRegistry> open(const secrets::SecretBox& box) {
    RegistryOptions o;
    o.stateDir = dir_.path();
    o.box = &box;
    o.clock = [this] { return ++now_; };
    auto r = SpaceRegistry::open(std::move(o));
    EXPECT_TRUE(r) << r.error().message;
    return r ? std::move(*r) : nullptr;
  }
  NewSpace demo() {
    NewSpace n;
    n.id = {"alice", "demo"};
    n.sdk = "gradio";
    n.hardware = "cpu-basic";
    n.sleepSeconds = 172800;
    n.secrets["HF_TOKEN"] = {"s3cr3t-value-xyzzy", "the token"};
    n.variables["MODEL"] = {"gpt2", ""};
    return n;
  }
  std::string readAllFiles() {
    std::string all;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      all += ss.str();
    }
    return all;
  }

  TempDir dir_;
  int64_t now_ = 1767323045000;
  secrets::SecretBox box_ = makeBox(7);
};

TEST_F(RegistryTest, CreateStoresEverythingAndEmitsAnEvent) {
  auto reg = open(box_);
  std::vector<Event> seen;
  auto sub = reg->bus().subscribe([&](const Event& e) { seen.push_back(e); });
  auto created = reg->create(demo());
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ((*created)->stage, Stage::kNoAppFile);
  EXPECT_EQ((*created)->hardwareRequested, "cpu-basic");
  EXPECT_TRUE((*created)->hardwareCurrent.empty());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].type, "space.created");
  EXPECT_EQ(seen[0].space, "alice/demo");
  EXPECT_GT(seen[0].seq, 0);
  EXPECT_TRUE(std::filesystem::is_directory(logsDir(dir_.path(), {"alice", "demo"})));

  auto again = reg->create(demo());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, EEXIST);
  EXPECT_EQ(seen.size(), 1u);
}

TEST_F(RegistryTest, UpdateDiffsStoresAndPublishesOnlyRealChanges) {
  auto reg = open(box_);
  ASSERT_TRUE(reg->create(demo()));
  std::vector<Event> seen;
  auto sub = reg->bus().subscribe([&](const Event& e) { seen.push_back(e); });
  auto updated = reg->update({"alice", "demo"}, [](Space& s) {
    s.stageBeforePause = s.stage;
    s.stage = Stage::kPaused;
  });
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ((*updated)->stage, Stage::kPaused);
  EXPECT_EQ((*updated)->stageChangedAtMs, (*updated)->updatedAtMs);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].type, "space.changed");
  EXPECT_EQ(seen[0].data["changes"]["stage"]["to"], "PAUSED");
  EXPECT_EQ(seen[0].data["stage"], "PAUSED");

  ASSERT_TRUE(reg->update({"alice", "demo"}, [](Space&) {}));  // no change: no event
  EXPECT_EQ(seen.size(), 1u);
  auto missing = reg->update({"bob", "x"}, [](Space&) {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ENOENT);
}

TEST_F(RegistryTest, EverythingSurvivesReopening) {
  {
    auto reg = open(box_);
    ASSERT_TRUE(reg->create(demo()));
    ASSERT_TRUE(reg->update({"alice", "demo"}, [](Space& s) {
      s.sha = "abc123";
      s.restarts = 3;
      s.stageBeforePause = Stage::kRunning;
      s.stage = Stage::kPaused;
    }));
    ASSERT_TRUE(reg->putVariable({"alice", "demo"}, "OTHER", {"1", "d"}));
  }
  auto reg = open(box_);
  const Space* s = reg->find({"alice", "demo"});
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->sha, "abc123");
  EXPECT_EQ(s->restarts, 3);
  EXPECT_EQ(s->stage, Stage::kPaused);
  EXPECT_EQ(s->stageBeforePause, Stage::kRunning);
  auto values = reg->secretValues({"alice", "demo"});
  ASSERT_TRUE(values) << values.error().message;
  EXPECT_EQ(values->at("HF_TOKEN"), "s3cr3t-value-xyzzy");
  auto vars = reg->listVariables({"alice", "demo"});
  ASSERT_TRUE(vars);
  ASSERT_EQ(vars->size(), 2u);
  EXPECT_EQ((*vars)[0].key, "MODEL");
  auto events = reg->store().eventsAfter(0, "alice/demo", 100);
  ASSERT_TRUE(events);
  EXPECT_EQ(events->size(), 3u);
}

TEST_F(RegistryTest, SecretsAreSealedListedWithoutValuesAndNeverInEvents) {
  auto reg = open(box_);
  std::string eventsText;
  auto sub = reg->bus().subscribe([&](const Event& e) { eventsText += toJson(e).dump(); });
  ASSERT_TRUE(reg->create(demo()));
  ASSERT_TRUE(reg->putSecret({"alice", "demo"}, "SECOND", {"another-secret-plugh", ""}));
  auto list = reg->listSecrets({"alice", "demo"});
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].key, "HF_TOKEN");
  EXPECT_EQ((*list)[0].description, "the token");
  EXPECT_EQ(eventsText.find("s3cr3t-value-xyzzy"), std::string::npos);
  EXPECT_EQ(eventsText.find("another-secret-plugh"), std::string::npos);
  EXPECT_NE(eventsText.find("SECOND"), std::string::npos);
  sub = EventBus::Subscription();  // a subscription must not outlive its bus
  reg.reset();                      // closed; the WAL, if any, is read below too
  std::string raw = readAllFiles();
  EXPECT_FALSE(raw.empty());
  EXPECT_EQ(raw.find("s3cr3t-value-xyzzy"), std::string::npos);
  EXPECT_EQ(raw.find("another-secret-plugh"), std::string::npos);
  EXPECT_NE(raw.find("HF_TOKEN"), std::string::npos);  // names are not secret

  auto again = open(box_);
  auto deleted = again->deleteSecret({"alice", "demo"}, "SECOND");
  ASSERT_TRUE(deleted);
  EXPECT_TRUE(*deleted);
  EXPECT_FALSE(*again->deleteSecret({"alice", "demo"}, "SECOND"));
}

TEST_F(RegistryTest, AnotherNodeKeyIsAClearErrorNotGarbage) {
  { ASSERT_TRUE(open(box_)->create(demo())); }
  secrets::SecretBox other = makeBox(8);
  RegistryOptions o;
  o.stateDir = dir_.path();
  o.box = &other;
  auto r = SpaceRegistry::open(std::move(o));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EKEYREJECTED);
  EXPECT_NE(r.error().message.find("is not the key that sealed the secrets"), std::string::npos);
  EXPECT_NE(r.error().message.find(other.key().id()), std::string::npos);
  EXPECT_NE(r.error().message.find(box_.key().id()), std::string::npos);
}

TEST_F(RegistryTest, EraseRemovesRowsDirectoryAndEmits) {
  auto reg = open(box_);
  ASSERT_TRUE(reg->create(demo()));
  ASSERT_TRUE(appendLogLine(logPath(dir_.path(), {"alice", "demo"}, LogKind::kRun), 1, "hello"));
  std::vector<std::string> types;
  auto sub = reg->bus().subscribe([&](const Event& e) { types.push_back(e.type); });
  ASSERT_TRUE(reg->erase({"alice", "demo"}));
  EXPECT_EQ(reg->find({"alice", "demo"}), nullptr);
  EXPECT_EQ(types, std::vector<std::string>{"space.deleted"});
  EXPECT_FALSE(std::filesystem::exists(spaceDir(dir_.path(), {"alice", "demo"})));
  auto secrets = reg->store().secrets({"alice", "demo"});
  ASSERT_TRUE(secrets);
  EXPECT_TRUE(secrets->empty());
  EXPECT_FALSE(reg->erase({"alice", "demo"}));
  // The id can be used again.
  ASSERT_TRUE(reg->create(demo()));
}

TEST_F(RegistryTest, EventsAreTrimmedToTheRetainedCount) {
  auto reg = open(box_);
  reg->setEventsRetained(100);
  for (int i = 0; i < 600; ++i) ASSERT_TRUE(reg->record("", "node.test", {{"i", i}}));
  auto all = reg->store().eventsAfter(0, "", 10000);
  ASSERT_TRUE(all);
  EXPECT_LE(all->size(), 100u + 256u);
  EXPECT_EQ(all->back().data["i"], 599);
  auto last = reg->store().lastEvents(3, "");
  ASSERT_TRUE(last);
  ASSERT_EQ(last->size(), 3u);
  EXPECT_EQ((*last)[2].data["i"], 599);
  EXPECT_EQ((*last)[0].data["i"], 597);
}

TEST_F(RegistryTest, ListenersMayUnsubscribeWhilePublishing) {
  auto reg = open(box_);
  int calls = 0;
  EventBus::Subscription second;
  auto first = reg->bus().subscribe([&](const Event&) {
    ++calls;
    second = EventBus::Subscription();  // drops the other listener mid-publish
  });
  second = reg->bus().subscribe([&](const Event&) { ++calls; });
  ASSERT_TRUE(reg->record("", "node.test", {}));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(reg->bus().listenerCount(), 1u);
}

}  // namespace
}  // namespace spacelet::agent::store
