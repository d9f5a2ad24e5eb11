// Tests of streamed bodies: take() drains what producers append, wakes the server when there is
// more, ends after finish(), keeps quiet streams alive, and cuts off a reader that falls too far
// behind instead of buffering without bound.
#include "agent/api/stream_body.h"

#include <gtest/gtest.h>

#include "agent/api/event_stream.h"

namespace spacelet::agent::api {
namespace {

std::string drain(StreamBody& body) {
  std::string out;
  char buf[7];
  for (ssize_t n; (n = body.take(buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

TEST(StreamBody, AppendTakeFinish) {
  StreamBody body(1024, "\n");
  int wakes = 0;
  body.attach([&] { ++wakes; });
  char buf[16];
  EXPECT_EQ(body.take(buf, sizeof buf), 0);  // nothing yet: the server suspends
  body.append("hello ");
  body.append("world\n");
  EXPECT_EQ(wakes, 2);
  EXPECT_EQ(drain(body), "hello world\n");
  body.finish();
  EXPECT_EQ(wakes, 3);
  EXPECT_EQ(body.take(buf, sizeof buf), -1);
  body.append("ignored");
  EXPECT_EQ(body.take(buf, sizeof buf), -1);
}

TEST(StreamBody, SlowReaderIsCutOffWithANotice) {
  StreamBody body(16, "\n");
  body.append("0123456789");
  body.append("0123456789");  // 20 > 16 pending
  EXPECT_TRUE(body.finished());
  std::string out = drain(body);
  EXPECT_EQ(out.substr(0, 10), "0123456789");
  EXPECT_NE(out.find("stream_overflow"), std::string::npos);
}

TEST(StreamBody, HeartbeatOnlyWhenIdle) {
  StreamBody body(1024, ": keep-alive\n\n");
  body.heartbeatIfIdle(std::chrono::hours(1));
  EXPECT_EQ(body.pending(), 0u);
  body.heartbeatIfIdle(std::chrono::seconds(0));
  EXPECT_EQ(drain(body), ": keep-alive\n\n");
  body.append("x");
  body.heartbeatIfIdle(std::chrono::seconds(0));  // data pending: no keep-alive on top
  EXPECT_EQ(drain(body), "x");
}

TEST(EventStream, ReplaysFollowsFiltersAndEndsOnDeletion) {
  store::EventBus bus;
  std::vector<store::Event> replay = {{1, 0, "space.created", "a/b", {}}};
  auto stream = EventStream::open(bus, replay, "a/b", StreamFormat::kNdjson, true, 1 << 20);
  EXPECT_NE(drain(*stream).find("\"seq\":1"), std::string::npos);
  bus.publish({2, 0, "space.created", "c/d", {}});
  EXPECT_EQ(stream->pending(), 0u);  // another Space
  bus.publish({3, 0, "space.deleted", "a/b", {}});
  EXPECT_NE(drain(*stream).find("\"seq\":3"), std::string::npos);
  EXPECT_TRUE(stream->finished());
  EXPECT_EQ(bus.listenerCount(), 0u);

  auto once = EventStream::open(bus, replay, "", StreamFormat::kSse, false, 1 << 20);
  EXPECT_TRUE(once->finished());
  EXPECT_EQ(drain(*once).substr(0, 33), "id: 1\nevent: space.created\ndata: ");
}

}  // namespace
}  // namespace spacelet::agent::api
