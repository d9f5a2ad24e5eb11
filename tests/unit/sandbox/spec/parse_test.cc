// config.json parsing: every field spacelet-run honours is read, names are resolved, and
// every malformed value is reported with its JSON path.
#include "sandbox/spec/parse.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/resource.h>

namespace spacelet::sandbox::spec {
namespace {

Json minimal() {
  return Json::parse(R"({
    "ociVersion": "1.1.0",
    "root": {"path": "rootfs"},
    "process": {"args": ["/bin/true"], "cwd": "/"},
    "linux": {"namespaces": [{"type": "mount"}]}
  })");
}

std::string errorOf(const Json& config) {
  auto spec = parseConfig(config.dump());
  return spec ? std::string("(parsed)") : spec.error().message;
}

TEST(SpecParse, ReadsEveryProcessField) {
  Json c = minimal();
  c["process"] = Json::parse(R"({
    "terminal": true, "consoleSize": {"height": 40, "width": 120},
    "user": {"uid": 1000, "gid": 1001, "umask": 18, "additionalGids": [5, 6]},
    "args": ["/bin/sh", "-c", "echo hi"], "env": ["PATH=/bin", "A=b"], "cwd": "/home",
    "capabilities": {"bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_KILL"],
                     "permitted": ["CAP_KILL"], "inheritable": [], "ambient": []},
    "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 2048}],
    "noNewPrivileges": true, "oomScoreAdj": 500
  })");
  auto spec = parseConfig(c.dump());
  ASSERT_TRUE(spec) << spec.error().message;
  const Process& p = *spec->process;
  EXPECT_TRUE(p.terminal);
  ASSERT_TRUE(p.consoleSize);
  EXPECT_EQ(p.consoleSize->height, 40);
  EXPECT_EQ(p.consoleSize->width, 120);
  EXPECT_EQ(p.user.uid, 1000u);
  EXPECT_EQ(p.user.gid, 1001u);
  EXPECT_EQ(p.user.umask, mode_t{022});
  EXPECT_EQ(p.user.additionalGids, (std::vector<uint32_t>{5, 6}));
  EXPECT_EQ(p.args.size(), 3u);
  EXPECT_EQ(p.env[1], "A=b");
  EXPECT_EQ(p.cwd, "/home");
  ASSERT_TRUE(p.capabilities);
  EXPECT_EQ(p.capabilities->bounding, (1ull << 0) | (1ull << 5));
  EXPECT_EQ(p.capabilities->effective, 1ull << 5);
  ASSERT_EQ(p.rlimits.size(), 1u);
  EXPECT_EQ(p.rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(p.rlimits[0].hard, 2048u);
  EXPECT_TRUE(p.noNewPrivileges);
  EXPECT_EQ(p.oomScoreAdj, 500);
}

TEST(SpecParse, ReadsLinuxSection) {
  Json c = minimal();
  c["hostname"] = "box";
  c["linux"] = Json::parse(R"({
    "namespaces": [{"type": "pid"}, {"type": "network", "path": "/var/run/netns/x"},
                   {"type": "mount"}, {"type": "user"}, {"type": "time"}],
    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438}],
    "sysctl": {"net.ipv4.ip_forward": "1"},
    "maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"],
    "rootfsPropagation": "rslave",
    "personality": {"domain": "LINUX32"},
    "timeOffsets": {"monotonic": {"secs": 100, "nanosecs": 5}}
  })");
  auto spec = parseConfig(c.dump());
  ASSERT_TRUE(spec) << spec.error().message;
  const Linux& l = spec->linux;
  ASSERT_EQ(l.namespaces.size(), 5u);
  EXPECT_EQ(l.namespaces[1].type, NamespaceType::kNetwork);
  EXPECT_EQ(l.namespaces[1].path, "/var/run/netns/x");
  EXPECT_EQ(l.uidMappings[0].hostId, 100000u);
  EXPECT_EQ(l.devices[0].major, 10);
  EXPECT_EQ(l.devices[0].fileMode, mode_t{0666});
  EXPECT_EQ(l.sysctl.at("net.ipv4.ip_forward"), "1");
  EXPECT_EQ(l.rootfsPropagation, "rslave");
  EXPECT_EQ(l.personality, static_cast<unsigned long>(PER_LINUX32));
  EXPECT_EQ(l.timeOffsets.at("monotonic").secs, 100);
  EXPECT_EQ(spec->hostname, "box");
}

TEST(SpecParse, ReadsMountsHooksAnnotations) {
  Json c = minimal();
  c["mounts"] = Json::parse(R"([{"destination": "/proc", "type": "proc", "source": "proc"},
      {"destination": "/data", "type": "bind", "source": "/srv", "options": ["rbind", "ro"]}])");
  c["hooks"] = Json::parse(R"({"prestart": [{"path": "/bin/a"}],
      "poststop": [{"path": "/bin/b", "args": ["b", "x"], "env": ["K=v"], "timeout": 3}]})");
  c["annotations"] = {{"org.example.key", "value"}};
  auto spec = parseConfig(c.dump());
  ASSERT_TRUE(spec) << spec.error().message;
  ASSERT_EQ(spec->mounts.size(), 2u);
  EXPECT_EQ(spec->mounts[1].options, (std::vector<std::string>{"rbind", "ro"}));
  ASSERT_EQ(spec->hooks.poststop.size(), 1u);
  EXPECT_EQ(spec->hooks.poststop[0].timeoutSeconds, 3);
  EXPECT_EQ(spec->hooks.prestart[0].path, "/bin/a");
  EXPECT_EQ(spec->annotations.at("org.example.key"), "value");
}

TEST(SpecParse, SyntaxErrorNamesTheOffset) {
  auto spec = parseConfig("{\"ociVersion\": ");
  ASSERT_FALSE(spec);
  EXPECT_NE(spec.error().message.find("config.json is not valid JSON (byte"), std::string::npos)
      << spec.error().message;
}

TEST(SpecParse, TypeErrorsNameTheJsonPath) {
  Json c = minimal();
  c["process"]["user"] = {{"uid", -1}};
  EXPECT_EQ(errorOf(c),
            "config.json: process.user.uid: expected an unsigned 32-bit integer, got '-1'");
  c = minimal();
  c["mounts"] = Json::parse(R"([{"destination": "/a"}, {"destination": 5}])");
  EXPECT_EQ(errorOf(c), "config.json: mounts[1].destination: expected a string, got '5'");
  c = minimal();
  c["process"]["env"] = {"A=1", 7};
  EXPECT_EQ(errorOf(c), "config.json: process.env[1]: expected a string, got '7'");
}

TEST(SpecParse, UnknownNamesAreRejectedWithWhatIsAccepted) {
  Json c = minimal();
  c["linux"]["namespaces"] = Json::parse(R"([{"type": "mount"}, {"type": "nett"}])");
  EXPECT_NE(errorOf(c).find("linux.namespaces[1].type: unknown namespace type 'nett' (expected"),
            std::string::npos);
  c = minimal();
  c["process"]["capabilities"] = {{"bounding", {"CAP_CHOWN", "CAP_FLY"}}};
  EXPECT_NE(errorOf(c).find("process.capabilities.bounding[1]: unknown capability 'CAP_FLY'"),
            std::string::npos);
  c = minimal();
  c["process"]["rlimits"] = Json::parse(R"([{"type": "RLIMIT_FOO", "soft": 1, "hard": 1}])");
  EXPECT_NE(errorOf(c).find("process.rlimits[0].type: unknown rlimit 'RLIMIT_FOO'"),
            std::string::npos);
  c = minimal();
  c["linux"]["rootfsPropagation"] = "sideways";
  EXPECT_NE(errorOf(c).find("linux.rootfsPropagation: unknown propagation 'sideways'"),
            std::string::npos);
}

TEST(SpecParse, RejectsInconsistentValues) {
  Json c = minimal();
  c["process"]["rlimits"] = Json::parse(R"([{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 5}])");
  EXPECT_NE(errorOf(c).find("soft limit 10 is above the hard limit 5"), std::string::npos);
  c = minimal();
  c["linux"]["namespaces"] = Json::parse(R"([{"type": "mount"}, {"type": "mount"}])");
  EXPECT_NE(errorOf(c).find("linux.namespaces[1]: namespace type 'mount' is listed twice"),
            std::string::npos);
  c = minimal();
  c["process"]["oomScoreAdj"] = 2000;
  EXPECT_NE(errorOf(c).find("process.oomScoreAdj: '2000' is outside -1000..1000"),
            std::string::npos);
  c = minimal();
  c["hooks"] = Json::parse(R"({"poststart": [{"path": "/x", "timeout": 0}]})");
  EXPECT_NE(errorOf(c).find("hooks.poststart[0].timeout: must be a positive number"),
            std::string::npos);
}

TEST(SpecParse, MissingRequiredFields) {
  Json c = minimal();
  c.erase("root");
  EXPECT_EQ(errorOf(c), "config.json: root: missing (name the rootfs directory)");
  c = minimal();
  c.erase("ociVersion");
  EXPECT_NE(errorOf(c).find("ociVersion: missing"), std::string::npos);
  EXPECT_EQ(errorOf(Json::array()), "config.json: config: expected an object, got '[]'");
}

TEST(SpecParse, ResourcesAndSeccompGoThroughTheirModules) {
  Json c = minimal();
  c["linux"]["resources"] = Json::parse(R"({"memory": {"limit": "lots"}})");
  EXPECT_NE(errorOf(c).find("linux.resources.memory.limit"), std::string::npos) << errorOf(c);
  c = minimal();
  c["linux"]["resources"] = Json::parse(R"({"pids": {"limit": 64}})");
  auto spec = parseConfig(c.dump());
  ASSERT_TRUE(spec) << spec.error().message;
  ASSERT_TRUE(spec->linux.resources);
  EXPECT_EQ(spec->linux.resources->pidsLimit, 64);
  c = minimal();
  c["linux"]["seccomp"] = Json::parse(R"({"defaultAction": "SCMP_ACT_NOPE"})");
  EXPECT_NE(errorOf(c).find("linux.seccomp.defaultAction"), std::string::npos) << errorOf(c);
}

}  // namespace
}  // namespace spacelet::sandbox::spec
