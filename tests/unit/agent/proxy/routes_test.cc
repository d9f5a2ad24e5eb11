// The proxy's routes file and request-head parsing; the proxy itself serves real Spaces in
// tests/e2e.
#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "agent/proxy/http_head.h"
#include "agent/proxy/proxy_server.h"
#include "agent/proxy/routes.h"
#include "test_env.h"

namespace spacelet::agent::proxy {
namespace {

TEST(Routes, RoundTripsAndLooksUpHosts) {
  Routes r{7, {{"alice-demo.localhost", "10.213.0.3:7860"}}};
  auto back = routesFromJson(toJson(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r);
  EXPECT_EQ(lookup(r, "Alice-Demo.localhost:8000"), "10.213.0.3:7860");
  EXPECT_EQ(lookup(r, " alice-demo.localhost. "), "10.213.0.3:7860");
  EXPECT_FALSE(lookup(r, "bob-demo.localhost"));
  EXPECT_FALSE(routesFromJson("{\"generation\":\"x\"}"));
}

TEST(Routes, NormalizesHosts) {
  EXPECT_EQ(normalizeHost("EXAMPLE.com:80"), "example.com");
  EXPECT_EQ(normalizeHost("[::1]:8000"), "[::1]:8000");  // IPv6 literals are not Space hosts
  EXPECT_EQ(normalizeHost("a.b."), "a.b");
}

TEST(Routes, FilesAndAck) {
  spacelet::testing::TempDir dir;
  Routes r{3, {{"x.localhost", "1.2.3.4:5"}}};
  ASSERT_TRUE(writeRoutes(dir / "routes.json", r));
  EXPECT_EQ(*readRoutes(dir / "routes.json"), r);
  ASSERT_TRUE(writeAck(dir / "ack", 3));
  EXPECT_EQ(*readAck(dir / "ack"), 3u);
  EXPECT_EQ(readRoutes(dir / "none").error().code, ENOENT);
}

// The events of a real inotify watch on the routes file's directory: the proxy's own ack,
// written there after each reload, must not call for another reload (it did, endlessly).
TEST(Routes, OnlyTheRoutesFileCallsForAReload) {
  spacelet::testing::TempDir dir;
  int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  ASSERT_GE(fd, 0);
  ASSERT_GE(::inotify_add_watch(fd, dir.path().c_str(), IN_MOVED_TO | IN_CLOSE_WRITE), 0);
  auto events = [fd] {
    alignas(inotify_event) char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  };
  ASSERT_TRUE(writeAck(dir / "routes.json.ack", 3));
  std::string ack = events();
  ASSERT_FALSE(ack.empty());
  EXPECT_FALSE(routesChanged(ack, "routes.json"));
  ASSERT_TRUE(writeRoutes(dir / "routes.json", Routes{4, {}}));
  std::string routes = events();
  ASSERT_FALSE(routes.empty());
  EXPECT_TRUE(routesChanged(routes, "routes.json"));
  EXPECT_TRUE(routesChanged(ack + routes, "routes.json"));
  EXPECT_FALSE(routesChanged(routes, "other.json"));
  ::close(fd);
}

TEST(HttpHead, FindsTheEndAndTheHost) {
  std::string head = "GET / HTTP/1.1\r\nUser-Agent: x\r\nhOsT: a.localhost:8000\r\n\r\nbody";
  ASSERT_TRUE(headLength(head));
  EXPECT_EQ(*headLength(head), head.size() - 4);
  EXPECT_EQ(hostHeader(head), " a.localhost:8000");
  EXPECT_FALSE(headLength("GET / HTTP/1.1\r\nHost: a"));
  EXPECT_EQ(headLength("GET / HTTP/1.0\nHost: b\n\n"), 24u);
  EXPECT_FALSE(hostHeader("GET / HTTP/1.0\r\n\r\n"));
  // "Host" inside the request line is not a header.
  EXPECT_FALSE(hostHeader("GET /host:x HTTP/1.1\r\nAccept: */*\r\n\r\n"));
}

TEST(ListenAddress, Parses) {
  auto v4 = parseListenAddress("127.0.0.1:8000");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->port, 8000);
  auto v6 = parseListenAddress("[::1]:8080");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  for (const char* bad : {"127.0.0.1", "localhost:80", "1.2.3.4:0", "1.2.3.4:70000", ":80"}) {
    EXPECT_FALSE(parseListenAddress(bad)) << bad;
  }
}

}  // namespace
}  // namespace spacelet::agent::proxy
