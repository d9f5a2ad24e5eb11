// Cross-field validation of config.json: each rule, with the JSON path in the message.
#include "sandbox/spec/validate.h"

#include <gtest/gtest.h>

#include "sandbox/spec/parse.h"

namespace spacelet::sandbox::spec {
namespace {

Spec specFrom(const std::string& linuxJson, const std::string& extra = "") {
  std::string text = R"({"ociVersion": "1.1.0", "root": {"path": "rootfs"},
      "process": {"args": ["/bin/true"], "cwd": "/", "user": {"uid": 0, "gid": 0}},
      "linux": )" + linuxJson +
                     extra + "}";
  auto spec = parseConfig(text);
  EXPECT_TRUE(spec) << spec.error().message;
  return spec ? *spec : Spec{};
}

std::string errorOf(const Spec& spec) {
  auto r = validate(spec);
  return r ? "(valid)" : r.error().message;
}

const char* kUserNs = R"({"namespaces": [{"type": "mount"}, {"type": "user"}],
    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 2000}],
    "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 2000}]})";

TEST(SpecValidate, AcceptsAMinimalSpec) {
  EXPECT_EQ(errorOf(specFrom(R"({"namespaces": [{"type": "mount"}]})")), "(valid)");
  EXPECT_EQ(errorOf(specFrom(kUserNs)), "(valid)");
}

TEST(SpecValidate, RequiresAMountNamespace) {
  EXPECT_NE(errorOf(specFrom(R"({"namespaces": [{"type": "pid"}]})"))
                .find("a mount namespace is required"),
            std::string::npos);
}

TEST(SpecValidate, UserNamespaceNeedsMappingsAndMappedUser) {
  Spec spec = specFrom(R"({"namespaces": [{"type": "mount"}, {"type": "user"}]})");
  EXPECT_NE(errorOf(spec).find("a new user namespace needs both"), std::string::npos);
  spec = specFrom(kUserNs);
  spec.process->user.uid = 5000;
  EXPECT_EQ(errorOf(spec),
            "process.user.uid: 5000 is not mapped by linux.uidMappings; map it or pick a "
            "mapped uid");
  spec = specFrom(R"({"namespaces": [{"type": "mount"}],
      "uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]})");
  EXPECT_NE(errorOf(spec).find("mappings are only for a new user namespace"), std::string::npos);
}

TEST(SpecValidate, OverlappingMappings) {
  Spec spec = specFrom(R"({"namespaces": [{"type": "mount"}, {"type": "user"}],
    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 10},
                    {"containerID": 5, "hostID": 200000, "size": 10}],
    "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 10}]})");
  EXPECT_EQ(errorOf(spec),
            "linux.uidMappings[1]: overlaps linux.uidMappings[0]; id ranges must not overlap");
}

TEST(SpecValidate, HostnameAndSysctlNeedTheirNamespaces) {
  Spec spec = specFrom(R"({"namespaces": [{"type": "mount"}]})", R"(, "hostname": "h")");
  EXPECT_NE(errorOf(spec).find("hostname: setting a hostname needs a new uts namespace"),
            std::string::npos);
  spec = specFrom(R"({"namespaces": [{"type": "mount"}], "sysctl": {"net.ipv4.ip_forward": "1"}})");
  EXPECT_NE(errorOf(spec).find("linux.sysctl.net.ipv4.ip_forward: 'net.ipv4.ip_forward' needs "
                               "the container's own network namespace"),
            std::string::npos);
  spec = specFrom(R"({"namespaces": [{"type": "mount"}], "sysctl": {"vm.swappiness": "1"}})");
  EXPECT_NE(errorOf(spec).find("'vm.swappiness' is not namespaced"), std::string::npos);
  spec = specFrom(
      R"({"namespaces": [{"type": "mount"}, {"type": "ipc"}], "sysctl": {"kernel.shmmax": "1"}})");
  EXPECT_EQ(errorOf(spec), "(valid)");
}

TEST(SpecValidate, PathsMustBeAbsolute) {
  Spec spec = specFrom(R"({"namespaces": [{"type": "mount"}], "maskedPaths": ["proc/kcore"]})");
  EXPECT_EQ(errorOf(spec),
            "linux.maskedPaths[0]: 'proc/kcore' must be an absolute path (start it with '/')");
  spec = specFrom(R"({"namespaces": [{"type": "mount"}]})");
  spec.process->cwd = "home";
  EXPECT_NE(errorOf(spec).find("process.cwd: 'home' must be an absolute path"), std::string::npos);
  spec.process->cwd = "/";
  spec.mounts.push_back({"tmp", "tmpfs", "tmpfs", {}});
  EXPECT_NE(errorOf(spec).find("mounts[0].destination: 'tmp'"), std::string::npos);
}

TEST(SpecValidate, ProcessRules) {
  Spec spec = specFrom(R"({"namespaces": [{"type": "mount"}]})");
  spec.process->args.clear();
  EXPECT_NE(errorOf(spec).find("process.args: must name the program"), std::string::npos);
  spec.process->args = {"/bin/true"};
  spec.process->env = {"NOEQUALS"};
  EXPECT_EQ(errorOf(spec), "process.env[0]: 'NOEQUALS' is not NAME=value");
  spec.process->env.clear();
  spec.process->capabilities = Capabilities{};
  spec.process->capabilities->ambient = 1ull << 10;
  spec.process->capabilities->permitted = 1ull << 10;
  EXPECT_EQ(errorOf(spec),
            "process.capabilities.ambient: 'CAP_NET_BIND_SERVICE' must also be in "
            "permitted and inheritable");
  spec.process.reset();
  EXPECT_NE(errorOf(spec).find("process: missing"), std::string::npos);
}

TEST(SpecValidate, OciVersion) {
  Spec spec = specFrom(R"({"namespaces": [{"type": "mount"}]})");
  spec.ociVersion = "0.9";
  EXPECT_NE(errorOf(spec).find("ociVersion: '0.9' is not supported"), std::string::npos);
}

TEST(SpecValidate, SysctlNamespaceTable) {
  EXPECT_EQ(sysctlNamespace("net.core.somaxconn"), NamespaceType::kNetwork);
  EXPECT_EQ(sysctlNamespace("fs.mqueue.msg_max"), NamespaceType::kIpc);
  EXPECT_EQ(sysctlNamespace("kernel.domainname"), NamespaceType::kUts);
  EXPECT_EQ(sysctlNamespace("kernel.panic"), std::nullopt);
}

}  // namespace
}  // namespace spacelet::sandbox::spec
