// Tests of the API router: segment decoding, every path trick refused before a handler runs,
// parameters, 404 and 405 with Allow.
#include "agent/api/router.h"

#include <gtest/gtest.h>

namespace spacelet::agent::api {
namespace {

TEST(Router, SplitsAndDecodesSegments) {
  auto s = Router::splitPath("/v1/spaces/alice/my%20space");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(*s, (std::vector<std::string>{"v1", "spaces", "alice", "my space"}));
}

TEST(Router, RefusesPathTricks) {
  for (const char* bad :
       {"", "v1", "/v1//spaces", "/v1/spaces/", "/v1/%2e%2e/x", "/v1/../x", "/v1/./x", "/v1/a%2Fb",
        "/v1/a%2fb", "/v1/a%00b", "/v1/a%0Ab", "/v1/a%7f", "/v1/%zz", "/v1/%4"}) {
    EXPECT_FALSE(Router::splitPath(bad)) << bad;
  }
}

TEST(Router, MatchesMethodsAndParameters) {
  Router r;
  Params seen;
  r.add("GET", "/v1/spaces/{author}/{name}", [&](Request&, const Params& p) {
    seen = p;
    Response resp;
    resp.body = "got";
    return resp;
  });
  r.add("DELETE", "/v1/spaces/{author}/{name}", [](Request&, const Params&) { return Response{}; });
  Request req;
  req.method = "GET";
  req.path = "/v1/spaces/alice/demo";
  EXPECT_EQ(r.dispatch(req).body, "got");
  EXPECT_EQ(seen.at("author"), "alice");
  EXPECT_EQ(seen.at("name"), "demo");

  req.method = "PUT";
  Response wrong = r.dispatch(req);
  EXPECT_EQ(wrong.status, 405);
  ASSERT_EQ(wrong.headers.size(), 1u);
  EXPECT_EQ(wrong.headers[0].second, "GET, DELETE");

  req.path = "/v1/spaces/alice";
  EXPECT_EQ(r.dispatch(req).status, 404);
  req.path = "/v1/spaces/alice/%2e%2e";
  Response trick = r.dispatch(req);
  EXPECT_EQ(trick.status, 400);
  EXPECT_NE(trick.body.find("invalid_path"), std::string::npos);
}

TEST(Http, ErrorBodiesAndQueryValues) {
  Response e = errorResponse(404, "not_found", "Space 'a/b' does not exist");
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(e.body,
            "{\"error\":{\"code\":\"not_found\",\"message\":\"Space 'a/b' does not exist\"}}\n");
  Request r;
  r.query = {{"follow", "1"}, {"tail", "5"}};
  EXPECT_EQ(r.queryValue("tail"), "5");
  EXPECT_FALSE(r.queryValue("kind"));
}

}  // namespace
}  // namespace spacelet::agent::api
