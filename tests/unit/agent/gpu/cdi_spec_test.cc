// parseSpec(): a realistic nvidia-ctk spec parses; every field that a cdiVersion introduced
// is refused under an older version, naming the field and the version it needs.
#include "agent/gpu/cdi_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace spacelet::agent::gpu::cdi {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// The shape nvidia-ctk cdi generate writes (trimmed).
json nvidiaCtkSpec() {
  return json::parse(R"({
    "cdiVersion": "0.5.0", "kind": "nvidia.com/gpu",
    "devices": [
      {"name": "0", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia0"}, {"path": "/dev/dri/card1"}]}},
      {"name": "GPU-4cf8db2d-06c0-7d70-1a51-e59b25b2c16c", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia0"}, {"path": "/dev/dri/card1"}]}},
      {"name": "all", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia0"}, {"path": "/dev/dri/card1"}]}}
    ],
    "containerEdits": {
      "env": ["NVIDIA_VISIBLE_DEVICES=void"],
      "deviceNodes": [{"path": "/dev/nvidiactl"}, {"path": "/dev/nvidia-uvm"}, {"path": "/dev/nvidia-uvm-tools"}],
      "hooks": [{"hookName": "createContainer", "path": "/usr/bin/nvidia-cdi-hook",
                 "args": ["nvidia-cdi-hook", "update-ldcache", "--folder", "/usr/lib/x86_64-linux-gnu"]}],
      "mounts": [{"hostPath": "/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05",
                  "containerPath": "/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05",
                  "options": ["ro", "nosuid", "nodev", "bind"]}]
    }})");
}

std::string errorOf(const json& j) {
  auto spec = parseSpec(j);
  EXPECT_FALSE(spec.has_value()) << "parsed, but should not: " << j.dump();
  return spec ? "" : spec.error().message;
}

json minimal(const std::string& version) {
  return {{"cdiVersion", version},
          {"kind", "example.com/gpu"},
          {"devices", {{{"name", "a"}, {"containerEdits", {{"env", {"A=1"}}}}}}}};
}

TEST(CdiSpec, ParsesWhatNvidiaCtkWrites) {
  auto spec = parseSpec(nvidiaCtkSpec());
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->version, "0.5.0");
  EXPECT_EQ(spec->vendor, "nvidia.com");
  EXPECT_EQ(spec->className, "gpu");
  ASSERT_EQ(spec->devices.size(), 3u);
  EXPECT_EQ(spec->devices[0].edits.deviceNodes[1].path, "/dev/dri/card1");
  EXPECT_EQ(spec->edits.env, std::vector<std::string>{"NVIDIA_VISIBLE_DEVICES=void"});
  ASSERT_EQ(spec->edits.hooks.size(), 1u);
  EXPECT_EQ(spec->edits.hooks[0].hookName, "createContainer");
  EXPECT_EQ(spec->edits.hooks[0].args.size(), 4u);
  ASSERT_EQ(spec->edits.mounts.size(), 1u);
  EXPECT_EQ(spec->edits.mounts[0].options.size(), 4u);
}

TEST(CdiSpec, EverySupportedVersionParsesAMinimalSpec) {
  for (const auto& version : supportedVersions()) {
    auto spec = parseSpec(minimal(version));
    EXPECT_TRUE(spec) << version << ": " << spec.error().message;
  }
  EXPECT_EQ(supportedVersions().back(), kCurrentVersion);
}

TEST(CdiSpec, UnknownAndPre030VersionsAreRefused) {
  EXPECT_THAT(errorOf(minimal("0.9.0")),
              HasSubstr("cdiVersion: unknown version '0.9.0'; supported: '0.3.0'"));
  EXPECT_THAT(errorOf(minimal("0.2.0")),
              HasSubstr("cdiVersion: '0.2.0' uses the pre-0.3.0 format"));
  json noVersion = minimal("0.3.0");
  noVersion.erase("cdiVersion");
  EXPECT_THAT(errorOf(noVersion), HasSubstr("cdiVersion: missing (required)"));
}

// Each feature with the first version that has it: refused one version earlier, accepted at it.
struct Gate {
  const char* feature;
  const char* before;
  const char* from;
  std::function<void(json&)> use;
  const char* field;
};

class CdiVersionGate : public ::testing::TestWithParam<Gate> {};

TEST_P(CdiVersionGate, FieldNeedsItsVersion) {
  const Gate& gate = GetParam();
  json old = minimal(gate.before), current = minimal(gate.from);
  gate.use(old);
  gate.use(current);
  auto message = errorOf(old);
  EXPECT_THAT(message, HasSubstr(gate.field));
  EXPECT_THAT(message, HasSubstr(std::string("needs cdiVersion ") + gate.from));
  auto ok = parseSpec(current);
  EXPECT_TRUE(ok) << gate.feature << " at " << gate.from << ": " << ok.error().message;
}

json& edits(json& spec) {
  return spec["devices"][0]["containerEdits"];
}

INSTANTIATE_TEST_SUITE_P(
    Versions, CdiVersionGate,
    ::testing::Values(
        Gate{"mount type", "0.3.0", "0.4.0",
             [](json& s) {
               edits(s)["mounts"] = {
                   {{"hostPath", "/a"}, {"containerPath", "/b"}, {"type", "bind"}}};
             },
             "devices[0].containerEdits.mounts[0].type"},
        Gate{"hostPath", "0.4.0", "0.5.0",
             [](json& s) {
               edits(s)["deviceNodes"] = {{{"path", "/dev/x"}, {"hostPath", "/dev/y"}}};
             },
             "devices[0].containerEdits.deviceNodes[0].hostPath"},
        Gate{"digit-led name", "0.4.0", "0.5.0", [](json& s) { s["devices"][0]["name"] = "0"; },
             "devices[0].name"},
        Gate{"spec annotations", "0.5.0", "0.6.0",
             [](json& s) {
               s["annotations"] = {{"k", "v"}};
             },
             "annotations"},
        Gate{"device annotations", "0.5.0", "0.6.0",
             [](json& s) {
               s["devices"][0]["annotations"] = {{"k", "v"}};
             },
             "devices[0].annotations"},
        Gate{"dot in class", "0.5.0", "0.6.0", [](json& s) { s["kind"] = "example.com/gpu.v2"; },
             "kind"},
        Gate{"additionalGids", "0.6.0", "0.7.0", [](json& s) { edits(s)["additionalGids"] = {44}; },
             "devices[0].containerEdits.additionalGids"},
        Gate{"intelRdt", "0.6.0", "0.7.0",
             [](json& s) {
               edits(s)["intelRdt"] = {{"closID", "c"}};
             },
             "devices[0].containerEdits.intelRdt"},
        Gate{"netDevices", "1.0.0", "1.1.0",
             [](json& s) {
               s["containerEdits"]["netDevices"] = {
                   {{"hostInterfaceName", "eth1"}, {"name", "net1"}}};
             },
             "containerEdits.netDevices"},
        Gate{"intelRdt schemata", "1.0.0", "1.1.0",
             [](json& s) {
               edits(s)["intelRdt"] = {{"schemata", {"L3:0=ff"}}};
             },
             "devices[0].containerEdits.intelRdt.schemata"}));

TEST(CdiSpec, IntelRdtMonitoringFlagsChangedIn110) {
  json old = minimal("1.1.0");
  edits(old)["intelRdt"] = {{"enableCMT", true}};
  EXPECT_THAT(errorOf(old), HasSubstr("intelRdt.enableCMT: was removed in cdiVersion 1.1.0"));
  json ok = minimal("0.7.0");
  edits(ok)["intelRdt"] = {{"enableCMT", true}, {"enableMBM", false}};
  EXPECT_TRUE(parseSpec(ok));
}

TEST(CdiSpec, FieldsAreCheckedAndNamed) {
  auto withEdits = [](const char* text) {
    json s = minimal(kCurrentVersion);
    edits(s) = json::parse(text);
    return s;
  };
  EXPECT_THAT(errorOf(withEdits(R"({"env": ["NOEQUALS"]})")),
              HasSubstr("devices[0].containerEdits.env[0]: 'NOEQUALS' is not NAME=VALUE"));
  EXPECT_THAT(errorOf(withEdits(R"({"deviceNodes": [{"path": "/dev/x", "type": "z"}]})")),
              HasSubstr("deviceNodes[0].type: 'z' is not a device type"));
  EXPECT_THAT(errorOf(withEdits(R"({"deviceNodes": [{"path": "/dev/x", "permissions": "rx"}]})")),
              HasSubstr("deviceNodes[0].permissions: 'rx' may only hold"));
  EXPECT_THAT(errorOf(withEdits(R"({"deviceNodes": [{"path": "dev/x"}]})")),
              HasSubstr("deviceNodes[0].path: 'dev/x' is not an absolute path"));
  EXPECT_THAT(errorOf(withEdits(R"({"deviceNodes": [{"path": "/dev/x", "major": -1}]})")),
              HasSubstr("deviceNodes[0].major: '-1' is out of range"));
  EXPECT_THAT(errorOf(withEdits(R"({"mounts": [{"containerPath": "/b"}]})")),
              HasSubstr("mounts[0].hostPath: missing (required)"));
  EXPECT_THAT(errorOf(withEdits(R"({"hooks": [{"hookName": "prestop", "path": "/x"}]})")),
              HasSubstr("hooks[0].hookName: 'prestop' is not an OCI hook"));
  EXPECT_THAT(
      errorOf(withEdits(R"({"hooks": [{"hookName": "poststop", "path": "/x", "timeout": 0}]})")),
      HasSubstr("hooks[0].timeout: '0' is out of range"));
  EXPECT_THAT(errorOf(withEdits(R"({"devicenodes": []})")),
              HasSubstr("devices[0].containerEdits.devicenodes: unknown field; valid here: 'env'"));
  EXPECT_THAT(errorOf(withEdits(R"({})")),
              HasSubstr("devices[0].containerEdits: a device needs at least one edit"));
}

TEST(CdiSpec, KindAndDeviceNamesFollowTheNameRules) {
  json s = minimal(kCurrentVersion);
  s["kind"] = "gpu";
  EXPECT_THAT(errorOf(s), HasSubstr("kind: 'gpu' is not 'vendor/class'"));
  s["kind"] = "example.com/-gpu";
  EXPECT_THAT(errorOf(s), HasSubstr("kind: class '-gpu' must start with a letter"));
  s = minimal(kCurrentVersion);
  s["devices"][0]["name"] = "a/b";
  EXPECT_THAT(errorOf(s), HasSubstr("devices[0].name: 'a/b' holds '/'"));
  s = minimal(kCurrentVersion);
  s["devices"].push_back(s["devices"][0]);
  EXPECT_THAT(errorOf(s), HasSubstr("devices[1].name: 'a' is defined twice"));
  s["devices"] = json::array();
  EXPECT_THAT(errorOf(s), HasSubstr("devices: a spec needs at least one device"));
}

TEST(CdiSpec, QualifiedNames) {
  auto q = parseQualifiedName("nvidia.com/gpu=GPU-1:0");
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->vendor, "nvidia.com");
  EXPECT_EQ(q->className, "gpu");
  EXPECT_EQ(q->name, "GPU-1:0");
  EXPECT_EQ(q->str(), "nvidia.com/gpu=GPU-1:0");
  EXPECT_THAT(parseQualifiedName("gpu=0").error().message,
              HasSubstr("is not a qualified CDI device name"));
  EXPECT_THAT(parseQualifiedName("nvidia.com/gpu=").error().message, HasSubstr("name is empty"));
  EXPECT_THAT(parseQualifiedName("nvidia.com/g pu=0").error().message,
              HasSubstr("class 'g pu' holds ' '"));
}

}  // namespace
}  // namespace spacelet::agent::gpu::cdi
