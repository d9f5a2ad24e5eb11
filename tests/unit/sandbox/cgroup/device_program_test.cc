// The device BPF program, run in a small interpreter against device accesses: last match
// wins per access bit, default deny, no unreachable instructions.
#include <gtest/gtest.h>

#include "cgroup.h"
#include "device_program.h"
#include "ebpf_interpreter.h"

namespace spacelet::sandbox::cgroup {
namespace {

using testing::checkDevice;
using testing::unreachableInstructions;

constexpr uint32_t kR = BPF_DEVCG_ACC_READ;
constexpr uint32_t kW = BPF_DEVCG_ACC_WRITE;
constexpr uint32_t kM = BPF_DEVCG_ACC_MKNOD;

DeviceRule rule(bool allow, char type, int64_t major, int64_t minor, std::string access) {
  return DeviceRule{allow, type, major, minor, std::move(access)};
}

uint64_t verdict(const std::vector<bpf_insn>& prog, char type, uint32_t major, uint32_t minor,
                 uint32_t access) {
  auto r = checkDevice(prog, type, major, minor, access);
  EXPECT_TRUE(r.ok) << r.error;
  return r.r0;
}

TEST(DeviceProgram, DenyAllThenAllowNull) {
  auto prog =
      assembleDeviceProgram({rule(false, 'a', -1, -1, "rwm"), rule(true, 'c', 1, 3, "rwm")});
  EXPECT_TRUE(unreachableInstructions(prog).empty());
  EXPECT_EQ(verdict(prog, 'c', 1, 3, kR | kW), 1u);
  EXPECT_EQ(verdict(prog, 'c', 1, 5, kR), 0u);  // /dev/zero
  EXPECT_EQ(verdict(prog, 'b', 1, 3, kR), 0u);  // a block device with the same numbers
}

TEST(DeviceProgram, AccessBitsAreDecidedSeparately) {
  auto prog = assembleDeviceProgram(
      {rule(false, 'a', -1, -1, "rwm"), rule(true, 'c', 1, 3, "r"), rule(true, 'c', 1, 3, "w")});
  EXPECT_EQ(verdict(prog, 'c', 1, 3, kR | kW), 1u);
  EXPECT_EQ(verdict(prog, 'c', 1, 3, kM), 0u);
}

TEST(DeviceProgram, LaterDenyWinsForItsBitsOnly) {
  auto prog = assembleDeviceProgram({rule(true, 'a', -1, -1, "rwm"), rule(false, 'c', 1, 3, "w")});
  EXPECT_TRUE(unreachableInstructions(prog).empty());
  EXPECT_EQ(verdict(prog, 'c', 1, 3, kR), 1u);
  EXPECT_EQ(verdict(prog, 'c', 1, 3, kR | kW), 0u);
  EXPECT_EQ(verdict(prog, 'c', 1, 5, kW), 1u);
}

TEST(DeviceProgram, LaterAllowOverridesEarlierDeny) {
  auto prog = assembleDeviceProgram({rule(false, 'c', 1, 3, "rwm"), rule(true, 'c', 1, -1, "rw")});
  EXPECT_EQ(verdict(prog, 'c', 1, 3, kR), 1u);
  EXPECT_EQ(verdict(prog, 'c', 1, 3, kM), 0u);  // m: only the earlier deny covers it
  EXPECT_EQ(verdict(prog, 'c', 2, 0, kR), 0u);  // nothing matches: default deny
}

TEST(DeviceProgram, WildcardsMatchTypeMajorMinor) {
  auto prog =
      assembleDeviceProgram({rule(true, 'c', 136, -1, "rwm"), rule(true, 'b', -1, -1, "m")});
  EXPECT_EQ(verdict(prog, 'c', 136, 7, kR | kW), 1u);
  EXPECT_EQ(verdict(prog, 'c', 137, 7, kR), 0u);
  EXPECT_EQ(verdict(prog, 'b', 8, 0, kM), 1u);
  EXPECT_EQ(verdict(prog, 'b', 8, 0, kR), 0u);
}

TEST(DeviceProgram, NoRulesDeniesEverything) {
  auto prog = assembleDeviceProgram({});
  EXPECT_TRUE(unreachableInstructions(prog).empty());
  EXPECT_EQ(verdict(prog, 'c', 1, 3, kR), 0u);
}

TEST(DeviceProgram, AllowAllAllowsEverythingAndStaysReachable) {
  auto prog = assembleDeviceProgram(
      {rule(false, 'c', 1, 3, "rwm"), rule(true, 'a', -1, -1, "rwm"), rule(true, 'c', 1, 5, "r")});
  EXPECT_TRUE(unreachableInstructions(prog).empty());
  EXPECT_EQ(verdict(prog, 'c', 1, 3, kR | kW | kM), 1u);
  EXPECT_EQ(verdict(prog, 'b', 259, 1, kW), 1u);
}

TEST(DeviceProgram, DefaultAllowedDevicesGrantTheUsualNodes) {
  std::vector<DeviceRule> rules{rule(false, 'a', -1, -1, "rwm")};
  for (const DeviceRule& r : defaultAllowedDevices()) rules.push_back(r);
  auto prog = assembleDeviceProgram(rules);
  EXPECT_TRUE(unreachableInstructions(prog).empty());
  for (uint32_t minor : {3u, 5u, 7u, 8u, 9u}) EXPECT_EQ(verdict(prog, 'c', 1, minor, kR | kW), 1u);
  EXPECT_EQ(verdict(prog, 'c', 5, 2, kR | kW), 1u);     // ptmx
  EXPECT_EQ(verdict(prog, 'c', 136, 0, kR | kW), 1u);   // pts
  EXPECT_EQ(verdict(prog, 'c', 10, 229, kM), 1u);       // mknod of anything char
  EXPECT_EQ(verdict(prog, 'c', 10, 229, kR | kW), 0u);  // /dev/fuse: not opened
  EXPECT_EQ(verdict(prog, 'b', 8, 0, kR), 0u);          // /dev/sda
  EXPECT_EQ(verdict(prog, 'c', 1, 1, kR), 0u);          // /dev/mem
}

}  // namespace
}  // namespace spacelet::sandbox::cgroup
