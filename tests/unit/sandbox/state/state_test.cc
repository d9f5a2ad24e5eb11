// Container state: serialisation, the OCI state document, status derivation, /proc/<pid>/stat
// parsing, id rules, and the on-disk store (in a temp dir).
#include "sandbox/state/state.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "sandbox/state/store.h"
#include "test_env.h"

namespace spacelet::sandbox::state {
namespace {

ContainerState sample() {
  ContainerState s;
  s.id = "web";
  s.pid = 1234;
  s.pidStartTime = 99;
  s.bundle = "/b";
  s.rootfs = "/b/rootfs";
  s.created = "2026-01-02T03:04:05.000000000Z";
  s.annotations = {{"k", "v"}};
  s.cgroupPath = "{\"mode\":\"hybrid\"}";
  return s;
}

TEST(State, JsonRoundTrip) {
  ContainerState s = sample();
  s.exitStatus = 3;
  auto back = fromJson(toJson(s));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->id, "web");
  EXPECT_EQ(back->pid, 1234);
  EXPECT_EQ(back->pidStartTime, 99u);
  EXPECT_EQ(back->annotations.at("k"), "v");
  EXPECT_EQ(back->cgroupPath, s.cgroupPath);
  EXPECT_EQ(back->exitStatus, 3);
  auto bad = fromJson(spec::Json{{"pid", "x"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("state.pid"), std::string::npos);
}

TEST(State, OciDocument) {
  ContainerState s = sample();
  spec::Json running = ociState(s, Status::kRunning);
  EXPECT_EQ(running["status"], "running");
  EXPECT_EQ(running["pid"], 1234);
  EXPECT_EQ(running["ociVersion"], "1.1.0");
  EXPECT_EQ(running["annotations"]["k"], "v");
  s.exitStatus = 7;
  spec::Json stopped = ociState(s, Status::kStopped);
  EXPECT_EQ(stopped["pid"], 0) << "no pid once stopped";
  EXPECT_EQ(stopped["exitStatus"], 7);
  EXPECT_FALSE(running.contains("exitStatus"));
}

TEST(State, DeriveStatus) {
  EXPECT_EQ(deriveStatus({false, false, false, false}), Status::kCreating);
  EXPECT_EQ(deriveStatus({true, false, true, false}), Status::kStopped);
  EXPECT_EQ(deriveStatus({true, true, true, false}), Status::kCreated);
  EXPECT_EQ(deriveStatus({true, true, false, true}), Status::kPaused);
  EXPECT_EQ(deriveStatus({true, true, false, false}), Status::kRunning);
  EXPECT_EQ(statusName(Status::kPaused), "paused");
}

TEST(State, ProcStat) {
  std::string stat = "42 (a b) c)) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 777 100 1";
  auto parsed = parseProcStat(stat);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->state, 'S');
  EXPECT_EQ(parsed->startTime, 777u);
  EXPECT_FALSE(parseProcStat("garbage"));
}

TEST(State, Ids) {
  EXPECT_TRUE(validateId("web-1_a.b+c"));
  for (const char* bad : {"", ".", "..", "a/b", "a b", "ü"}) {
    auto r = validateId(bad);
    EXPECT_FALSE(r) << bad;
  }
  EXPECT_NE(validateId("a/b").error().message.find("may only contain"), std::string::npos);
  EXPECT_FALSE(validateId(std::string(1025, 'a')));
}

TEST(Store, ReserveSaveLoadListRemove) {
  spacelet::testing::TempDir dir("spacelet-store");
  auto store = Store::open(dir / "nested/root");
  ASSERT_TRUE(store) << store.error().message;
  auto fd = store->reserve("web");
  ASSERT_TRUE(fd) << fd.error().message;
  auto again = store->reserve("web");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, EEXIST);
  EXPECT_NE(again.error().message.find("container 'web' already exists"), std::string::npos);
  EXPECT_FALSE(Store::exists(fd->get(), kStateFile));
  ASSERT_TRUE(Store::save(fd->get(), sample()));
  EXPECT_TRUE(Store::exists(fd->get(), kStateFile));
  EXPECT_FALSE(std::filesystem::exists(dir / "nested/root/web/state.json.tmp"));
  auto loaded = Store::load(fd->get());
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->pid, 1234);
  ASSERT_TRUE(store->reserve("api"));
  EXPECT_EQ(*store->list(), (std::vector<std::string>{"api", "web"}));
  auto missing = store->openContainer("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ENOENT);
  ASSERT_TRUE(store->remove("web"));
  EXPECT_EQ(*store->list(), std::vector<std::string>{"api"});
  struct stat st {};
  ASSERT_EQ(::stat((dir / "nested/root").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u) << "the state root is private";
}

}  // namespace
}  // namespace spacelet::sandbox::state
