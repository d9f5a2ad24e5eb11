// parse(): OCI linux.seccomp in, Spec out; every rejection names the JSON path and, for
// unknown names, lists the valid ones.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sandbox/seccomp/seccomp.h"

namespace spacelet::sandbox::seccomp {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const char* const kPath = "linux.seccomp";

json minimal() {
  return json::parse(R"({"defaultAction": "SCMP_ACT_ERRNO"})");
}

std::string errorOf(const json& j) {
  auto spec = parse(j, kPath);
  EXPECT_FALSE(spec.has_value()) << "parsed, but should not: " << j.dump();
  return spec ? std::string() : spec.error().message;
}

TEST(SeccompParse, ReadsEveryField) {
  auto j = json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
    "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
    "listenerPath": "/run/agent.sock", "listenerMetadata": "meta",
    "syscalls": [
      {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
      {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
      {"names": ["open"], "action": "SCMP_ACT_NOTIFY",
       "args": [{"index": 1, "value": 18446744073709551615, "op": "SCMP_CMP_EQ"}]}
    ]})");
  auto spec = parse(j, kPath);
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->defaultAction, "SCMP_ACT_ERRNO");
  EXPECT_EQ(spec->defaultErrnoRet, 38u);
  EXPECT_EQ(spec->architectures, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}));
  EXPECT_EQ(spec->flags.size(), 2u);
  EXPECT_EQ(spec->listenerPath, "/run/agent.sock");
  EXPECT_EQ(spec->listenerMetadata, "meta");
  ASSERT_EQ(spec->syscalls.size(), 4u);
  EXPECT_EQ(spec->syscalls[0].names, (std::vector<std::string>{"read", "write"}));
  EXPECT_FALSE(spec->syscalls[0].errnoRet.has_value());
  ASSERT_EQ(spec->syscalls[1].args.size(), 1u);
  EXPECT_EQ(spec->syscalls[1].args[0].value, 2114060288u);
  EXPECT_EQ(spec->syscalls[1].args[0].op, "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(spec->syscalls[2].errnoRet, 13u);
  EXPECT_EQ(spec->syscalls[3].args[0].index, 1u);
  EXPECT_EQ(spec->syscalls[3].args[0].value, UINT64_MAX);
  EXPECT_EQ(spec->syscalls[3].args[0].valueTwo, 0u);
}

TEST(SeccompParse, MinimalSpecHasNoRules) {
  auto spec = parse(minimal(), kPath);
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_TRUE(spec->syscalls.empty());
  EXPECT_TRUE(spec->architectures.empty());
  EXPECT_FALSE(spec->defaultErrnoRet.has_value());
}

TEST(SeccompParse, MissingDefaultActionIsNamed) {
  EXPECT_THAT(errorOf(json::object()), HasSubstr("linux.seccomp.defaultAction: missing"));
}

TEST(SeccompParse, UnknownActionIsNamedWithTheValidOnes) {
  auto j = minimal();
  j["syscalls"] = json::parse(R"([{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
                                 {"names": ["write"], "action": "SCMP_ACT_PERMIT"}])");
  auto message = errorOf(j);
  EXPECT_THAT(message, HasSubstr("linux.seccomp.syscalls[1].action"));
  EXPECT_THAT(message, HasSubstr("unknown action 'SCMP_ACT_PERMIT'"));
  EXPECT_THAT(message, HasSubstr("'SCMP_ACT_KILL_PROCESS'"));
  EXPECT_THAT(message, HasSubstr("'SCMP_ACT_NOTIFY'"));
}

TEST(SeccompParse, UnknownDefaultActionIsNamed) {
  EXPECT_THAT(errorOf({{"defaultAction", "ALLOW"}}),
              HasSubstr("linux.seccomp.defaultAction: unknown action 'ALLOW'"));
}

TEST(SeccompParse, UnknownArchitectureIsNamedWithTheValidOnes) {
  auto j = minimal();
  j["architectures"] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_AMD64"};
  auto message = errorOf(j);
  EXPECT_THAT(message, HasSubstr("linux.seccomp.architectures[1]"));
  EXPECT_THAT(message, HasSubstr("unknown architecture 'SCMP_ARCH_AMD64'"));
  EXPECT_THAT(message, HasSubstr("'SCMP_ARCH_RISCV64'"));
}

TEST(SeccompParse, UnknownOperatorIsNamedWithTheValidOnes) {
  auto j = minimal();
  j["syscalls"] = json::parse(R"([{"names": ["read"], "action": "SCMP_ACT_ALLOW",
      "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
               {"index": 1, "value": 1, "op": "SCMP_CMP_MASKED"}]}])");
  auto message = errorOf(j);
  EXPECT_THAT(message, HasSubstr("linux.seccomp.syscalls[0].args[1].op"));
  EXPECT_THAT(message, HasSubstr("unknown operator 'SCMP_CMP_MASKED'"));
  EXPECT_THAT(message, HasSubstr("'SCMP_CMP_MASKED_EQ'"));
}

TEST(SeccompParse, UnknownFlagIsNamedWithTheValidOnes) {
  auto j = minimal();
  j["flags"] = {"SECCOMP_FILTER_FLAG_NEW_LISTENER"};
  auto message = errorOf(j);
  EXPECT_THAT(message, HasSubstr("linux.seccomp.flags[0]"));
  EXPECT_THAT(message, HasSubstr("unknown flag 'SECCOMP_FILTER_FLAG_NEW_LISTENER'"));
  EXPECT_THAT(message, HasSubstr("'SECCOMP_FILTER_FLAG_TSYNC'"));
}

TEST(SeccompParse, ErrnoRetOnAnActionWithoutErrnoIsRefused) {
  auto j = minimal();
  j["syscalls"] =
      json::parse(R"([{"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}])");
  EXPECT_THAT(errorOf(j), HasSubstr("linux.seccomp.syscalls[0].errnoRet: action 'SCMP_ACT_ALLOW' "
                                    "takes no errno"));
  EXPECT_THAT(errorOf({{"defaultAction", "SCMP_ACT_KILL"}, {"defaultErrnoRet", 1}}),
              HasSubstr("linux.seccomp.defaultErrnoRet: action 'SCMP_ACT_KILL' takes no errno"));
}

TEST(SeccompParse, ErrnoRetAboveTheLargestErrnoIsRefused) {
  EXPECT_THAT(errorOf({{"defaultAction", "SCMP_ACT_ERRNO"}, {"defaultErrnoRet", 5000}}),
              HasSubstr("above the largest errno 4095"));
  EXPECT_THAT(errorOf({{"defaultAction", "SCMP_ACT_TRACE"}, {"defaultErrnoRet", 70000}}),
              HasSubstr("'70000' does not fit in 16 bits"));
  auto trace = parse({{"defaultAction", "SCMP_ACT_TRACE"}, {"defaultErrnoRet", 5000}}, kPath);
  EXPECT_TRUE(trace) << "SCMP_ACT_TRACE carries a 16-bit message, not an errno";
}

TEST(SeccompParse, ArgumentIndexAndValuesAreChecked) {
  auto withArg = [](const char* arg) {
    auto j = minimal();
    j["syscalls"] = json::array({{{"names", {"read"}},
                                  {"action", "SCMP_ACT_ALLOW"},
                                  {"args", json::array({json::parse(arg)})}}});
    return j;
  };
  EXPECT_THAT(errorOf(withArg(R"({"index": 6, "value": 0, "op": "SCMP_CMP_EQ"})")),
              HasSubstr("syscalls[0].args[0].index: '6' is out of range"));
  EXPECT_THAT(errorOf(withArg(R"({"index": 0, "value": -1, "op": "SCMP_CMP_EQ"})")),
              HasSubstr("syscalls[0].args[0].value: expected a non-negative integer"));
  EXPECT_THAT(errorOf(withArg(R"({"index": 0, "value": "1", "op": "SCMP_CMP_EQ"})")),
              HasSubstr("syscalls[0].args[0].value: expected a non-negative integer"));
  EXPECT_THAT(errorOf(withArg(R"({"index": 0, "op": "SCMP_CMP_EQ"})")),
              HasSubstr("syscalls[0].args[0].value: missing"));
  EXPECT_THAT(errorOf(withArg(R"({"index": 0, "value": 1})")),
              HasSubstr("syscalls[0].args[0].op: missing"));
}

TEST(SeccompParse, NamesMustBeANonEmptyListOfStrings) {
  auto j = minimal();
  j["syscalls"] = json::parse(R"([{"names": [], "action": "SCMP_ACT_ALLOW"}])");
  EXPECT_THAT(errorOf(j), HasSubstr("linux.seccomp.syscalls[0].names: expected a non-empty array"));
  j["syscalls"] = json::parse(R"([{"names": ["read", 3], "action": "SCMP_ACT_ALLOW"}])");
  EXPECT_THAT(errorOf(j), HasSubstr("linux.seccomp.syscalls[0].names[1]: expected a syscall name"));
  j["syscalls"] = json::parse(R"([{"action": "SCMP_ACT_ALLOW"}])");
  EXPECT_THAT(errorOf(j), HasSubstr("linux.seccomp.syscalls[0].names: missing"));
  j["syscalls"] = json::parse(R"([{"names": ["read"]}])");
  EXPECT_THAT(errorOf(j), HasSubstr("linux.seccomp.syscalls[0].action: missing"));
}

TEST(SeccompParse, WrongTypesAreNamed) {
  EXPECT_THAT(errorOf(json::array()), HasSubstr("linux.seccomp: expected an object"));
  auto j = minimal();
  j["architectures"] = "SCMP_ARCH_X86_64";
  EXPECT_THAT(errorOf(j), HasSubstr("linux.seccomp.architectures: expected an array of strings"));
  j = minimal();
  j["syscalls"] = json::object();
  EXPECT_THAT(errorOf(j), HasSubstr("linux.seccomp.syscalls: expected an array"));
  j = minimal();
  j["listenerPath"] = 5;
  EXPECT_THAT(errorOf(j), HasSubstr("linux.seccomp.listenerPath: expected a string"));
}

TEST(SeccompParse, NotifyNeedsAListenerAndCannotBeTheDefault) {
  auto j = minimal();
  j["syscalls"] = json::parse(R"([{"names": ["mknod"], "action": "SCMP_ACT_NOTIFY"}])");
  EXPECT_THAT(errorOf(j), HasSubstr("linux.seccomp.listenerPath: required when a rule uses "
                                    "'SCMP_ACT_NOTIFY'"));
  EXPECT_THAT(errorOf({{"defaultAction", "SCMP_ACT_NOTIFY"}, {"listenerPath", "/x"}}),
              HasSubstr("linux.seccomp.defaultAction: 'SCMP_ACT_NOTIFY' cannot be the default"));
  auto meta = minimal();
  meta["listenerMetadata"] = "m";
  EXPECT_THAT(errorOf(meta), HasSubstr("linux.seccomp.listenerMetadata: set without"));
}

TEST(SeccompParse, UnknownKeysAreIgnoredLikeRuncDoes) {
  auto j = minimal();
  j["comment"] = "an extension";
  j["syscalls"] = json::parse(R"([{"names": ["read"], "action": "SCMP_ACT_ALLOW", "x": 1}])");
  EXPECT_TRUE(parse(j, kPath));
}

}  // namespace
}  // namespace spacelet::sandbox::seccomp
