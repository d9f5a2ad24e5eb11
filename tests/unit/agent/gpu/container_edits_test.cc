// applyEdits()/collectEdits(): CDI edits onto a Space's config.json, checked against golden
// files; device numbers come from an injected stat, as they would from the host.
#include "agent/gpu/container_edits.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gpu_test_util.h"

namespace spacelet::agent::gpu {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// A config.json as agent/bundle writes it (trimmed): uid 1000, deny-all device cgroup.
json baseConfig() {
  return json::parse(R"({
    "ociVersion": "1.1.0",
    "process": {"user": {"uid": 1000, "gid": 1000}, "args": ["python", "app.py"],
                "env": ["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/home/user"]},
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
               {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"},
               {"destination": "/dev/pts", "type": "devpts", "source": "devpts"},
               {"destination": "/usr/lib/x86_64-linux-gnu/libcuda.so.1", "type": "bind",
                "source": "/image/stale-libcuda", "options": ["bind"]},
               {"destination": "/sys", "type": "sysfs", "source": "sysfs"}],
    "linux": {"resources": {"devices": [{"allow": false, "access": "rwm"},
                                        {"allow": true, "type": "c", "major": 1, "minor": 3,
                                         "access": "rwm"}]}}})");
}

// What stat(2) reports for the fake host's nodes: the GPUs on major 195, uvm on a dynamic one.
StatNode fakeStat() {
  return [](const std::string& path) -> Result<HostNode> {
    static const std::map<std::string, HostNode> nodes = {
        {"/dev/nvidia0", {"c", 195, 0, 0666}},
        {"/dev/nvidia1", {"c", 195, 1, 0666}},
        {"/dev/nvidiactl", {"c", 195, 255, 0666}},
        {"/dev/nvidia-uvm", {"c", 508, 0, 0666}},
        {"/host/dev/nvidia-uvm-tools", {"c", 508, 1, 0600}},
        {"/dev/disk0", {"b", 8, 0, 0660}}};
    auto it = nodes.find(path);
    if (it == nodes.end()) return failErrno(ENOENT, "stat '" + path + "'");
    return it->second;
  };
}

cdi::Registry nvidiaRegistry() {
  auto spec = cdi::parseSpec(json::parse(R"({
    "cdiVersion": "0.7.0", "kind": "nvidia.com/gpu",
    "devices": [
      {"name": "0", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia0"}]}},
      {"name": "1", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia1", "permissions": "rw"}],
                                       "env": ["GPU_ONE=yes"]}}],
    "containerEdits": {
      "env": ["NVIDIA_VISIBLE_DEVICES=void", "PATH=/usr/local/nvidia/bin:/usr/bin:/bin"],
      "deviceNodes": [{"path": "/dev/nvidiactl"}, {"path": "/dev/nvidia-uvm"},
                      {"path": "/dev/nvidia-uvm-tools", "hostPath": "/host/dev/nvidia-uvm-tools"},
                      {"path": "/dev/nvidia-caps/nvidia-cap1", "type": "c", "major": 237, "minor": 1,
                       "uid": 0, "gid": 0, "fileMode": 256}],
      "mounts": [{"hostPath": "/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05",
                  "containerPath": "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
                  "options": ["ro", "nosuid", "nodev", "bind"]},
                 {"hostPath": "/usr/bin/nvidia-smi", "containerPath": "/usr/bin/nvidia-smi",
                  "options": ["ro", "bind"]},
                 {"hostPath": "/run/nvidia-persistenced/socket", "containerPath": "/run/nvidia-persistenced/socket",
                  "type": "bind", "options": ["rbind"]}],
      "hooks": [{"hookName": "createContainer", "path": "/usr/bin/nvidia-cdi-hook",
                 "args": ["nvidia-cdi-hook", "update-ldcache"], "timeout": 10},
                {"hookName": "poststop", "path": "/usr/bin/true"}],
      "additionalGids": [44, 0, 44, 107]
    }})"));
  EXPECT_TRUE(spec) << spec.error().message;
  std::vector<cdi::LoadedSpec> specs;
  if (spec) specs.push_back({"/etc/cdi/nvidia.json", 0, std::move(*spec)});
  return cdi::makeRegistry(std::move(specs));
}

TEST(ContainerEdits, OneGpuMatchesGolden) {
  auto registry = nvidiaRegistry();
  auto edits = collectEdits(registry, {"nvidia.com/gpu=0"});
  ASSERT_TRUE(edits) << edits.error().message;
  json config = baseConfig();
  auto applied = applyEdits(config, *edits, fakeStat());
  ASSERT_TRUE(applied) << applied.error().message;
  testing::expectGolden(config, "edits_one_gpu.json");
}

TEST(ContainerEdits, TwoGpusTakeTheSpecEditsOnce) {
  auto registry = nvidiaRegistry();
  auto edits = collectEdits(registry, {"nvidia.com/gpu=0", "nvidia.com/gpu=1"});
  ASSERT_TRUE(edits) << edits.error().message;
  EXPECT_EQ(edits->deviceNodes.size(), 6u) << "4 shared nodes once, plus one per GPU";
  json config = baseConfig();
  ASSERT_TRUE(applyEdits(config, *edits, fakeStat()));
  testing::expectGolden(config, "edits_two_gpus.json");
}

TEST(ContainerEdits, UnknownDevicesAreNamed) {
  auto registry = nvidiaRegistry();
  auto edits = collectEdits(registry, {"nvidia.com/gpu=0", "nvidia.com/gpu=7"});
  ASSERT_FALSE(edits);
  EXPECT_THAT(edits.error().message, HasSubstr("CDI device 'nvidia.com/gpu=7' is not in any spec"));
}

TEST(ContainerEdits, HostDisagreementsAndMissingNodesFail) {
  cdi::ContainerEdits edits;
  edits.deviceNodes.push_back({.path = "/dev/disk0", .type = "c"});
  json config = baseConfig();
  auto applied = applyEdits(config, edits, fakeStat());
  ASSERT_FALSE(applied);
  EXPECT_THAT(applied.error().message,
              HasSubstr("device node '/dev/disk0': the spec says type 'c' but '/dev/disk0' on the "
                        "host is type 'b'"));
  edits.deviceNodes = {{.path = "/dev/nvidia9"}};
  applied = applyEdits(config, edits, fakeStat());
  ASSERT_FALSE(applied);
  EXPECT_THAT(applied.error().message,
              HasSubstr("device node '/dev/nvidia9': stat '/dev/nvidia9'"));
}

TEST(ContainerEdits, NetDevicesAreRefused) {
  cdi::ContainerEdits edits;
  edits.netDevices.push_back({"eth1", "net1"});
  json config = baseConfig();
  auto applied = applyEdits(config, edits, fakeStat());
  ASSERT_FALSE(applied);
  EXPECT_THAT(applied.error().message, HasSubstr("host interface 'eth1' into the Space"));
}

TEST(ContainerEdits, HostStatReadsRealNodes) {
  auto node = hostStat()("/dev/null");
  ASSERT_TRUE(node) << node.error().message;
  EXPECT_EQ(node->type, "c");
  EXPECT_EQ(node->major, 1);
  EXPECT_EQ(node->minor, 3);
  auto notADevice = hostStat()("/");
  ASSERT_FALSE(notADevice);
  EXPECT_THAT(notADevice.error().message, HasSubstr("'/' is not a device node"));
}

}  // namespace
}  // namespace spacelet::agent::gpu
