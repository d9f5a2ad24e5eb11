// Streaming through the real agent: logs with tail and follow (lines written into the log
// files directly, as the supervisor will), rotation, SSE framing, events followed while other
// clients make changes, keep-alives, many concurrent clients, and the stream limit.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/store/space_paths.h"
#include "agent_fixture.h"

namespace spacelet::agent::testing {
namespace {

using namespace std::chrono_literals;

class StreamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(agent_.start(), "");
    ASSERT_EQ(agent_.call("POST", "/v1/spaces", R"({"id":"alice/demo"})").status, 201);
  }
  std::string logFile(store::LogKind kind = store::LogKind::kRun) const {
    return store::logPath(agent_.stateDir(), {"alice", "demo"}, kind);
  }
  void writeLine(const std::string& text, store::LogKind kind = store::LogKind::kRun) const {
    ASSERT_TRUE(store::appendLogLine(logFile(kind), 1767323045000, text));
  }
  AgentInstance agent_{"api:\n  stream_heartbeat: 1s\n  max_streams: 8\n"};
};

TEST_F(StreamsTest, LogTailWithoutFollowEnds) {
  for (int i = 1; i <= 5; ++i) writeLine("line " + std::to_string(i));
  writeLine("Step 1/3 : FROM busybox", store::LogKind::kBuild);
  auto all = httpRequest(agent_.socket(), "GET", "/v1/spaces/alice/demo/logs");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.headers["content-type"], "application/x-ndjson");
  EXPECT_EQ(std::count(all.body.begin(), all.body.end(), '\n'), 5);
  auto tail = httpRequest(agent_.socket(), "GET", "/v1/spaces/alice/demo/logs?kind=run&tail=2");
  ASSERT_EQ(tail.status, 200);
  EXPECT_EQ(tail.body,
            "{\"data\":\"line 4\",\"timestamp\":\"2026-01-02T03:04:05.000Z\"}\n"
            "{\"data\":\"line 5\",\"timestamp\":\"2026-01-02T03:04:05.000Z\"}\n");
  auto build = httpRequest(agent_.socket(), "GET", "/v1/spaces/alice/demo/logs?kind=build");
  EXPECT_NE(build.body.find("Step 1/3"), std::string::npos);
  auto sse = httpRequest(agent_.socket(), "GET", "/v1/spaces/alice/demo/logs?tail=1&format=sse");
  EXPECT_EQ(sse.headers["content-type"], "text/event-stream");
  EXPECT_EQ(sse.body, "data: {\"data\":\"line 5\",\"timestamp\":\"2026-01-02T03:04:05.000Z\"}\n\n");
  auto accept = httpRequest(agent_.socket(), "GET", "/v1/spaces/alice/demo/logs?tail=1", "",
                            {"Accept: text/event-stream"});
  EXPECT_EQ(accept.body.substr(0, 6), "data: ");
  EXPECT_EQ(httpRequest(agent_.socket(), "GET", "/v1/spaces/alice/demo/logs?kind=deploy").status,
            400);
  EXPECT_EQ(httpRequest(agent_.socket(), "GET", "/v1/spaces/alice/demo/logs?tail=-1").status, 400);
  EXPECT_EQ(httpRequest(agent_.socket(), "GET", "/v1/spaces/alice/demo/logs?format=xml").status,
            400);
  EXPECT_EQ(httpRequest(agent_.socket(), "GET", "/v1/spaces/nobody/x/logs").status, 404);
  auto none = httpRequest(agent_.socket(), "GET", "/v1/spaces/alice/demo/logs?kind=build&tail=0");
  EXPECT_EQ(none.status, 200);
  EXPECT_EQ(none.body, "");
}

TEST_F(StreamsTest, FollowSeesNewLinesAcrossRotationAndEndsWithTheSpace) {
  writeLine("before");
  HttpStream stream(agent_.socket(), "/v1/spaces/alice/demo/logs?follow=1&tail=1");
  ASSERT_EQ(stream.status(), 200);
  ASSERT_TRUE(stream.lineContaining("before"));
  writeLine("after 1");
  ASSERT_TRUE(stream.lineContaining("after 1"));
  // A partial line is held back until its newline arrives.
  {
    std::ofstream out(logFile(), std::ios::app);
    out << "{\"data\":\"half";
  }
  std::this_thread::sleep_for(200ms);
  {
    std::ofstream out(logFile(), std::ios::app);
    out << " and half\"}\n";
  }
  auto joined = stream.lineContaining("half");
  ASSERT_TRUE(joined);
  EXPECT_EQ(*joined, "{\"data\":\"half and half\"}");
  // Rotation: the writer renames the file away and starts a new one.
  writeLine("last of old file");
  std::filesystem::rename(logFile(), logFile() + ".1");
  writeLine("first of new file");
  ASSERT_TRUE(stream.lineContaining("last of old file"));
  ASSERT_TRUE(stream.lineContaining("first of new file"));
  // Deleting the Space ends the stream.
  ASSERT_EQ(agent_.call("DELETE", "/v1/spaces/alice/demo").status, 200);
  EXPECT_FALSE(stream.lineContaining("never", 5s));
  EXPECT_TRUE(stream.ended());
}

TEST_F(StreamsTest, FollowWaitsForALogThatDoesNotExistYet) {
  HttpStream stream(agent_.socket(), "/v1/spaces/alice/demo/logs?kind=build&follow=1");
  ASSERT_EQ(stream.status(), 200);
  std::this_thread::sleep_for(100ms);
  writeLine("Step 1/2 : FROM scratch", store::LogKind::kBuild);
  EXPECT_TRUE(stream.lineContaining("Step 1/2"));
}

TEST_F(StreamsTest, QuietStreamsGetKeepAlives) {
  HttpStream stream(agent_.socket(), "/v1/spaces/alice/demo/logs?follow=1");
  ASSERT_EQ(stream.status(), 200);
  auto line = stream.nextLine(4s);  // stream_heartbeat is 1s
  ASSERT_TRUE(line);
  EXPECT_EQ(*line, "");
  HttpStream sse(agent_.socket(), "/v1/events?follow=1&format=sse");
  EXPECT_TRUE(sse.lineContaining(": keep-alive", 4s));
}

TEST_F(StreamsTest, EventsFollowChangesMadeByOtherClients) {
  HttpStream all(agent_.socket(), "/v1/events?follow=1");
  HttpStream one(agent_.socket(), "/v1/events?follow=1&space=alice/demo");
  ASSERT_EQ(all.status(), 200);
  ASSERT_EQ(one.status(), 200);
  ASSERT_EQ(agent_.call("POST", "/v1/spaces", R"({"id":"bob/other"})").status, 201);
  ASSERT_EQ(agent_.call("POST", "/v1/spaces/alice/demo/pause").status, 200);
  ASSERT_EQ(agent_.call("PUT", "/v1/spaces/alice/demo/secrets/K", R"({"value":"v"})").status, 200);
  auto created = all.lineContaining("space.created");
  ASSERT_TRUE(created);
  EXPECT_NE(created->find("bob/other"), std::string::npos);
  auto paused = one.lineContaining("space.changed");
  ASSERT_TRUE(paused);
  auto event = nlohmann::json::parse(*paused);
  EXPECT_EQ(event["space"], "alice/demo");
  EXPECT_EQ(event["data"]["changes"]["stage"]["to"], "PAUSED");
  EXPECT_GT(event["seq"].get<int64_t>(), 0);
  auto secret = one.lineContaining("space.secret.set");
  ASSERT_TRUE(secret);
  EXPECT_EQ(nlohmann::json::parse(*secret)["data"]["key"], "K");
  // The filtered stream never saw bob/other.
  ASSERT_EQ(agent_.call("DELETE", "/v1/spaces/bob/other").status, 200);
  // 200 when nothing runs; 202 while the supervisor still stops the paused Space's app.
  int deleted = agent_.call("DELETE", "/v1/spaces/alice/demo").status;
  ASSERT_TRUE(deleted == 200 || deleted == 202) << deleted;
  // The delete finishes once the paused Space's stop job has (a loaded machine may be slow).
  auto end = one.lineContaining("space.deleted", 30s);
  ASSERT_TRUE(end);
  EXPECT_NE(end->find("alice/demo"), std::string::npos);
  EXPECT_FALSE(one.nextLine(3s));
  EXPECT_TRUE(one.ended());  // a followed Space's deletion ends its stream
}

TEST_F(StreamsTest, EventsReplaySinceASequenceNumber) {
  ASSERT_EQ(agent_.call("POST", "/v1/spaces/alice/demo/pause").status, 200);
  auto last = httpRequest(agent_.socket(), "GET", "/v1/events?tail=1");
  int64_t seq = nlohmann::json::parse(last.body)["seq"];
  ASSERT_EQ(agent_.call("POST", "/v1/spaces/alice/demo/resume").status, 200);
  auto since = httpRequest(agent_.socket(), "GET", "/v1/events?since=" + std::to_string(seq));
  EXPECT_EQ(since.body.find("\"action\":\"pause\""), std::string::npos);
  EXPECT_NE(since.body.find("\"action\":\"resume\""), std::string::npos);
  auto sse = httpRequest(agent_.socket(), "GET", "/v1/events?tail=1&format=sse");
  EXPECT_EQ(sse.body.substr(0, 4), "id: ");
  EXPECT_NE(sse.body.find("\nevent: space.changed\ndata: {"), std::string::npos);
  EXPECT_EQ(httpRequest(agent_.socket(), "GET", "/v1/events?space=bad").status, 400);
  EXPECT_EQ(httpRequest(agent_.socket(), "GET", "/v1/events?since=x").status, 400);
}

TEST_F(StreamsTest, StreamLimitIs503AndStreamsDoNotBlockOtherClients) {
  std::vector<std::unique_ptr<HttpStream>> streams;
  for (int i = 0; i < 8; ++i) {
    streams.push_back(std::make_unique<HttpStream>(agent_.socket(), "/v1/events?follow=1"));
    ASSERT_EQ(streams.back()->status(), 200);
  }
  auto refused = agent_.call("GET", "/v1/events?follow=1");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.headers["retry-after"], "5");
  // Eight open streams, and plain requests are served at once.
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) ASSERT_EQ(agent_.call("GET", "/v1/spaces/alice/demo").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  streams.clear();
  // Hung-up streams are noticed at once (EPOLLRDHUP), not at the next keep-alive: the slots
  // are free again well within the 30 s heartbeat (polled, as a loaded machine is slow).
  auto freed = std::chrono::steady_clock::now();
  int status = 0;
  while (std::chrono::steady_clock::now() - freed < 5s) {
    status = httpRequest(agent_.socket(), "GET", "/v1/events?tail=1").status;
    if (status != 503) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_NE(status, 503) << "closed streams still counted against the limit after 5 s";
}

TEST_F(StreamsTest, ConcurrentClients) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::string id = "user" + std::to_string(t) + "/space";
      if (agent_.call("POST", "/v1/spaces", nlohmann::json({{"id", id}}).dump()).status != 201)
        ++failures;
      for (int i = 0; i < 25; ++i) {
        if (agent_.call("GET", "/v1/spaces/" + id).status != 200) ++failures;
        auto path = "/v1/spaces/" + id + "/variables/V" + std::to_string(i % 3);
        if (agent_.call("PUT", path, R"({"value":"x"})").status != 200) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(agent_.call("GET", "/v1/spaces").json()["spaces"].size(), 9u);
}

}  // namespace
}  // namespace spacelet::agent::testing
