// Tests of a long API call's stream: progress lines, then exactly one result or error line
// (the same error shape as a plain error answer), after which nothing more is sent.
#include "agent/api/job_stream.h"

#include <gtest/gtest.h>

namespace spacelet::agent::api {
namespace {

std::string drain(StreamBody& body) {
  std::string out;
  char buf[64];
  for (ssize_t n; (n = body.take(buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

TEST(JobStream, ProgressThenResultThenEnd) {
  JobStream stream(1 << 20);
  stream.progress("importing '/tmp/a.tar'");
  stream.progress("imported x:1 sha256:ab");
  stream.done(nlohmann::json{{"format", "rootfs"}});
  stream.progress("too late");
  EXPECT_EQ(drain(stream),
            "{\"progress\":\"importing '/tmp/a.tar'\"}\n"
            "{\"progress\":\"imported x:1 sha256:ab\"}\n"
            "{\"result\":{\"format\":\"rootfs\"}}\n");
  char buf[8];
  EXPECT_EQ(stream.take(buf, sizeof buf), -1);
}

TEST(JobStream, ErrorLineCarriesTheCodeOfThePlainAnswer) {
  JobStream stream(1 << 20);
  stream.done(fail(Error{ENOSPC, "disk full: 1 MiB free"}));
  auto line = nlohmann::json::parse(drain(stream));
  EXPECT_EQ(line["error"]["code"], "insufficient_storage");
  EXPECT_EQ(line["error"]["message"], "disk full: 1 MiB free");
  stream.done(nlohmann::json::object());  // a second end is ignored
  char buf[8];
  EXPECT_EQ(stream.take(buf, sizeof buf), -1);
}

}  // namespace
}  // namespace spacelet::agent::api
