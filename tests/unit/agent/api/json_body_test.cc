// Tests of strict JSON body reading: every error names the field and the expected type, and
// leftover fields are refused.
#include "agent/api/json_body.h"

#include <gtest/gtest.h>

namespace spacelet::agent::api {
namespace {

TEST(JsonBody, ReadsTypedFieldsAndRefusesLeftovers) {
  auto body = JsonBody::parse(R"({"id":"a/b","sleep_time":60,"factory":true,"x":1})");
  ASSERT_TRUE(body);
  EXPECT_EQ(*body->requiredString("id"), "a/b");
  EXPECT_EQ(**body->optionalInteger("sleep_time"), 60);
  EXPECT_EQ(**body->optionalBool("factory"), true);
  EXPECT_FALSE(*body->optionalString("sdk"));
  auto done = body->finish();
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().message,
            "unknown field 'x'; known fields: 'factory', 'id', 'sdk', 'sleep_time'");
}

TEST(JsonBody, ErrorsNameTheField) {
  auto body = JsonBody::parse(R"({"id":3,"n":"x","f":2.5,"b":"true","big":18446744073709551615})");
  ASSERT_TRUE(body);
  EXPECT_EQ(body->requiredString("id").error().message,
            "field 'id' must be a string, not an integer");
  EXPECT_EQ(body->optionalInteger("n").error().message,
            "field 'n' must be an integer, not a string");
  EXPECT_EQ(body->optionalInteger("f").error().message,
            "field 'f' must be an integer, not a number with a fraction");
  EXPECT_EQ(body->optionalBool("b").error().message, "field 'b' must be a boolean, not a string");
  EXPECT_EQ(body->optionalInteger("big").error().message, "field 'big' is too large");
  EXPECT_EQ(body->requiredString("missing").error().message, "field 'missing' is required");
}

TEST(JsonBody, MalformedAndNonObjectBodies) {
  auto bad = JsonBody::parse("{\"a\":");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("malformed JSON at byte "), std::string::npos)
      << bad.error().message;
  EXPECT_EQ(JsonBody::parse("[]").error().message,
            "the request body must be a JSON object, not an array");
  EXPECT_FALSE(JsonBody::parse(""));
  EXPECT_TRUE(JsonBody::parse("", /*allowEmpty=*/true));
  auto none = JsonBody::parse("  \n", true);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->finish());
  auto stray = JsonBody::parse(R"({"a":1})", true);
  EXPECT_EQ(stray->finish().error().message, "unknown field 'a'; this request takes no fields");
}

TEST(JsonBody, Entries) {
  auto body = JsonBody::parse(R"({"s":{"A":"1","B":{"value":"2","description":"two"}}})");
  auto entries = body->optionalEntries("s");
  ASSERT_TRUE(entries) << entries.error().message;
  EXPECT_EQ(entries->at("A").value, "1");
  EXPECT_EQ(entries->at("B").description, "two");
  for (const char* bad : {R"({"s":[1]})", R"({"s":{"A":1}})", R"({"s":{"A":{"description":"x"}}})",
                          R"({"s":{"A":{"value":"x","y":1}}})"}) {
    auto b = JsonBody::parse(bad);
    EXPECT_FALSE(b->optionalEntries("s")) << bad;
  }
}

}  // namespace
}  // namespace spacelet::agent::api
