// Tests of the log file reading behind GET …/logs without follow: where the last N lines
// start, the stream formats, and partial last lines.
#include "agent/api/log_stream.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <fstream>

#include "test_env.h"

namespace spacelet::agent::api {
namespace {

using spacelet::testing::TempDir;

off_t tailOf(const std::string& content, size_t lines) {
  TempDir dir;
  std::ofstream(dir / "f") << content;
  UniqueFd fd(::open((dir / "f").c_str(), O_RDONLY | O_CLOEXEC));
  auto r = tailOffset(fd.get(), lines);
  EXPECT_TRUE(r);
  return r.value_or(-1);
}

TEST(LogStream, TailOffsets) {
  EXPECT_EQ(tailOf("a\nb\nc\n", 1), 4);
  EXPECT_EQ(tailOf("a\nb\nc\n", 2), 2);
  EXPECT_EQ(tailOf("a\nb\nc\n", 3), 0);
  EXPECT_EQ(tailOf("a\nb\nc\n", 10), 0);
  EXPECT_EQ(tailOf("a\nb\nc\n", 0), 6);
  EXPECT_EQ(tailOf("a\nb\nc", 1), 4);  // a last line without its newline still counts
  EXPECT_EQ(tailOf("", 5), 0);
  std::string big;
  for (int i = 0; i < 50000; ++i) big += "line " + std::to_string(i) + "\n";  // spans many chunks
  EXPECT_EQ(tailOf(big, 2),
            static_cast<off_t>(big.size() - std::string("line 49998\nline 49999\n").size()));
}

TEST(LogStream, FramesAndHeartbeats) {
  EXPECT_EQ(frameLine(StreamFormat::kNdjson, "{\"a\":1}"), "{\"a\":1}\n");
  EXPECT_EQ(frameLine(StreamFormat::kSse, "{\"a\":1}"), "data: {\"a\":1}\n\n");
  EXPECT_EQ(heartbeatFor(StreamFormat::kNdjson), "\n");
  EXPECT_EQ(heartbeatFor(StreamFormat::kSse), ": keep-alive\n\n");
}

}  // namespace
}  // namespace spacelet::agent::api
