// parseResources: the typed Resources it builds and the JSON paths its errors name.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cgroup.h"

namespace spacelet::sandbox::cgroup {
namespace {

using nlohmann::json;

Result<Resources> parse(const char* text) {
  return parseResources(json::parse(text), "linux.resources");
}

std::string errorOf(const char* text) {
  auto r = parse(text);
  EXPECT_FALSE(r) << text;
  return r ? "" : r.error().message;
}

TEST(ParseResources, FullObject) {
  auto r = parse(R"({
    "memory": {"limit": 67108864, "reservation": 1048576, "swap": 134217728, "swappiness": 10,
               "disableOOMKiller": false, "kernel": 5, "kernelTCP": 5},
    "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0-1", "mems": "0",
            "idle": 0, "burst": 1000},
    "pids": {"limit": 64},
    "devices": [{"allow": false, "access": "rwm"},
                {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}],
    "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
    "blockIO": {"weight": 500},
    "unified": {"memory.high": "50000000"},
    "somethingNew": {"ignored": true}
  })");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->memory->limit, 67108864);
  EXPECT_EQ(r->memory->reservation, 1048576);
  EXPECT_EQ(r->memory->swap, 134217728);
  EXPECT_EQ(r->memory->swappiness, 10u);
  EXPECT_EQ(r->memory->disableOomKiller, false);
  EXPECT_EQ(r->cpu->shares, 512u);
  EXPECT_EQ(r->cpu->quota, 50000);
  EXPECT_EQ(r->cpu->period, 100000u);
  EXPECT_EQ(r->cpu->cpus, "0-1");
  EXPECT_EQ(r->cpu->burst, 1000u);
  EXPECT_EQ(r->pidsLimit, 64);
  ASSERT_EQ(r->devices.size(), 2u);
  EXPECT_FALSE(r->devices[0].allow);
  EXPECT_EQ(r->devices[0].type, 'a');
  EXPECT_EQ(r->devices[0].major, -1);
  EXPECT_EQ(r->devices[1].type, 'c');
  EXPECT_EQ(r->devices[1].minor, 3);
  EXPECT_EQ(r->devices[1].access, "rw");
  ASSERT_EQ(r->hugepageLimits.size(), 1u);
  EXPECT_EQ(r->hugepageLimits[0].first, "2MB");
  EXPECT_EQ(r->blockIoWeight, 500);
  EXPECT_EQ(r->unified.at("memory.high"), "50000000");
}

TEST(ParseResources, ZeroMeansUnsetAndNegativePidsMeansMax) {
  auto r = parse(R"({"memory": {"limit": 0, "swap": 0}, "cpu": {"shares": 0, "quota": 0},
                     "pids": {"limit": -5}})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->memory->limit);
  EXPECT_FALSE(r->memory->swap);
  EXPECT_FALSE(r->cpu->shares);
  EXPECT_FALSE(r->cpu->quota);
  EXPECT_EQ(r->pidsLimit, -1);
  auto unset = parse(R"({"pids": {"limit": 0}})");
  ASSERT_TRUE(unset);
  EXPECT_FALSE(unset->pidsLimit);
}

TEST(ParseResources, NullAndEmpty) {
  EXPECT_TRUE(parseResources(json(), "linux.resources"));
  auto r = parse("{}");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->memory);
  EXPECT_TRUE(r->devices.empty());
}

TEST(ParseResources, ErrorsNameTheJsonPath) {
  EXPECT_EQ(errorOf(R"({"memory": {"limit": "64M"}})"),
            "linux.resources.memory.limit: expected an integer, got '\"64M\"'");
  EXPECT_NE(errorOf(R"({"memory": {"limit": -2}})").find("linux.resources.memory.limit: '-2'"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"memory": {"swappiness": 101}})").find("memory.swappiness: '101'"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"cpu": {"shares": 1}})").find("linux.resources.cpu.shares: '1'"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"cpu": {"quota": 500}})").find("cpu.quota: '500' is below"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"cpu": {"period": 5000000}})").find("cpu.period: '5000000'"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"cpu": {"cpus": "0-3;"}})").find("linux.resources.cpu.cpus: '0-3;'"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"cpu": {"idle": 2}})").find("cpu.idle: '2'"), std::string::npos);
  EXPECT_EQ(errorOf(R"({"memory": 5})"), "linux.resources.memory: expected an object, got '5'");
  EXPECT_EQ(errorOf(R"({"cpu": {"shares": 1.5}})"),
            "linux.resources.cpu.shares: expected a non-negative integer, got '1.5'");
}

TEST(ParseResources, DeviceErrorsNameTheEntry) {
  EXPECT_EQ(errorOf(R"({"devices": [{"allow": true}, {"access": "r"}]})"),
            "linux.resources.devices[1].allow: required (true or false)");
  EXPECT_NE(errorOf(R"({"devices": [{"allow": true, "type": "x"}]})")
                .find("devices[0].type: 'x' must be"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"devices": [{"allow": true, "access": "rwx"}]})")
                .find("devices[0].access: 'rwx'"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"devices": [{"allow": true, "access": "rr"}]})").find("'rr'"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"devices": [{"allow": true, "major": -7}]})").find("devices[0].major"),
            std::string::npos);
  EXPECT_EQ(errorOf(R"({"devices": {"allow": true}})"),
            "linux.resources.devices: expected an array, got '{\"allow\":true}'");
}

TEST(ParseResources, UnsupportedFieldsAreRefusedNotDropped) {
  EXPECT_NE(errorOf(R"({"network": {"classID": 5}})").find("linux.resources.network: not "),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": 0,
            "rate": 100}]}})")
                .find("blockIO.throttleReadBpsDevice: not supported"),
            std::string::npos);
  EXPECT_TRUE(parse(R"({"network": {}, "blockIO": {"weightDevice": []}})"));
}

TEST(ParseResources, UnifiedValuesMustBeStrings) {
  EXPECT_EQ(errorOf(R"({"unified": {"memory.high": 5}})"),
            "linux.resources.unified['memory.high']: expected a string, got '5'");
}

TEST(ParseResources, HugepageEntriesNeedSizeAndLimit) {
  EXPECT_EQ(errorOf(R"({"hugepageLimits": [{"limit": 5}]})"),
            "linux.resources.hugepageLimits[0].pageSize: required, e.g. '2MB'");
  EXPECT_EQ(errorOf(R"({"hugepageLimits": [{"pageSize": "2MB"}]})"),
            "linux.resources.hugepageLimits[0].limit: required (bytes)");
}

}  // namespace
}  // namespace spacelet::sandbox::cgroup
