// loadRegistry(): JSON and YAML specs from several dirs; a bad spec is reported with its file
// and field and skipped while the others load; later dirs override earlier ones; the same
// device twice in one dir is a conflict.
#include "agent/gpu/cdi_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gpu_test_util.h"
#include "test_env.h"

namespace spacelet::agent::gpu::cdi {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::writeFile;

const char* const kJsonSpec = R"({"cdiVersion": "0.6.0", "kind": "example.com/gpu",
  "devices": [{"name": "0", "containerEdits": {"deviceNodes": [{"path": "/dev/ex0"}]}},
              {"name": "1", "containerEdits": {"deviceNodes": [{"path": "/dev/ex1"}]}}],
  "containerEdits": {"env": ["FROM=etc"]}})";

const char* const kYamlSpec = R"(---
cdiVersion: 0.5.0
kind: vendor.org/npu
devices:
- name: "0"
  containerEdits:
    deviceNodes:
    - path: /dev/npu0
containerEdits:
  mounts:
  - hostPath: /usr/lib/libnpu.so.1
    containerPath: /usr/lib/libnpu.so.1
    options: [ro, bind]
)";

TEST(CdiRegistry, LoadsJsonAndYamlAndReportsBadSpecsWithFileAndField) {
  spacelet::testing::TempDir dir;
  writeFile(dir / "etc/example.json", kJsonSpec);
  writeFile(dir / "etc/npu.yaml", kYamlSpec);
  writeFile(dir / "etc/broken.json", R"({"cdiVersion": "0.6.0", "kind": "bad.com/x",
    "devices": [{"name": "0", "containerEdits": {"deviceNodes": [{"hostPath": "/dev/x"}]}}]})");
  writeFile(dir / "etc/notjson.json", "{ nope");
  writeFile(dir / "etc/README", "not a spec; ignored");
  auto registry = loadRegistry({{dir / "etc", dir / "missing"}});
  EXPECT_THAT(registry.deviceNames(),
              ElementsAre("example.com/gpu=0", "example.com/gpu=1", "vendor.org/npu=0"));
  ASSERT_EQ(registry.problems().size(), 2u);
  EXPECT_EQ(registry.problems()[0].file, dir / "etc/broken.json");
  EXPECT_THAT(registry.problems()[0].message,
              HasSubstr("devices[0].containerEdits.deviceNodes[0].path: missing (required)"));
  EXPECT_EQ(registry.problems()[1].file, dir / "etc/notjson.json");
  EXPECT_THAT(registry.problems()[1].message, HasSubstr("JSON"));
  auto npu = registry.find("vendor.org/npu=0");
  ASSERT_TRUE(npu);
  EXPECT_EQ(npu->spec->spec.edits.mounts[0].options, (std::vector<std::string>{"ro", "bind"}));
  EXPECT_FALSE(registry.find("example.com/gpu=7"));
}

TEST(CdiRegistry, LaterDirectoriesOverrideEarlierOnes) {
  spacelet::testing::TempDir dir;
  writeFile(dir / "etc/example.json", kJsonSpec);
  std::string runSpec = kJsonSpec;
  runSpec.replace(runSpec.find("FROM=etc"), 8, "FROM=run");
  runSpec.replace(runSpec.find("/dev/ex1"), 8, "/dev/exB");
  writeFile(dir / "run/example.json", runSpec);
  auto registry = loadRegistry({{dir / "etc", dir / "run"}});
  EXPECT_TRUE(registry.problems().empty());
  auto one = registry.find("example.com/gpu=1");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->device->edits.deviceNodes[0].path, "/dev/exB");
  EXPECT_EQ(one->spec->file, dir / "run/example.json");
}

TEST(CdiRegistry, SameDeviceTwiceInOneDirectoryIsAConflict) {
  spacelet::testing::TempDir dir;
  writeFile(dir / "etc/a.json", kJsonSpec);
  writeFile(dir / "etc/b.json", kJsonSpec);
  auto registry = loadRegistry({{dir / "etc"}});
  EXPECT_TRUE(registry.deviceNames().empty());
  ASSERT_EQ(registry.problems().size(), 2u);
  EXPECT_THAT(registry.problems()[0].message,
              HasSubstr("'example.com/gpu=0' is also defined in '" + (dir / "etc/a.json") + "'"));
}

TEST(CdiRegistry, OversizedSpecsAreReportedNotRead) {
  spacelet::testing::TempDir dir;
  writeFile(dir / "etc/example.json", kJsonSpec);
  auto registry = loadRegistry({{dir / "etc"}, 64});
  EXPECT_TRUE(registry.deviceNames().empty());
  ASSERT_EQ(registry.problems().size(), 1u);
  EXPECT_THAT(registry.problems()[0].message, HasSubstr("above the limit of 64 bytes"));
}

}  // namespace
}  // namespace spacelet::agent::gpu::cdi
