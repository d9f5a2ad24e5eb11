// linux.resources through the cgroup driver and linux.seccomp through the seccomp
// compiler, end to end through spacelet-run and observed from inside: limits bite, update
// changes them on a live container, and the filter applies to the init and to exec'd
// processes alike.
#include <fstream>

#include "runtime_fixture.h"

namespace spacelet::sandbox::testing {
namespace {

using ResourcesTest = RuntimeTest;

// A limit file as the container reads it, on cgroup v1 (hybrid) or v2.
std::string limitFile(const Json& report, const std::string& v1, const std::string& v2) {
  Json cg = findMount(report, "/sys/fs/cgroup");
  return cg["type"] == "cgroup2" ? "/sys/fs/cgroup/" + v2 : "/sys/fs/cgroup/" + v1;
}

TEST_F(ResourcesTest, PidsLimitStopsAForkBomb) {
  config_["linux"]["resources"]["pids"] = {{"limit", 16}};
  Json r = probe({"fork-bomb", "200"});
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["errno"], EAGAIN);
  EXPECT_LT(r["forked"].get<int>(), 16);
  EXPECT_GT(r["forked"].get<int>(), 5);
}

TEST_F(ResourcesTest, MemoryLimitOomKills) {
  config_["linux"]["resources"]["memory"] = {{"limit", 48 << 20}, {"swap", 48 << 20}};
  auto ran = runContainer({"/bin/spacelet-probe", "hog-memory", "256"});
  EXPECT_EQ(ran.status, 128 + 9) << "killed by the OOM killer: " << ran.output;
  auto fits = runContainer({"/bin/spacelet-probe", "hog-memory", "8"});
  EXPECT_EQ(fits.status, 0) << fits.output;
}

TEST_F(ResourcesTest, UpdateChangesLiveLimits) {
  config_["linux"]["resources"]["pids"] = {{"limit", 100}};
  std::string id = startSleeper();
  Json report = lastJsonLine(runtime({"exec", id, "/bin/spacelet-probe", "report"}).output);
  std::string pidsMax = limitFile(report, "pids/pids.max", "pids.max");
  auto read = [&](const std::string& file) {
    return lastJsonLine(runtime({"exec", id, "/bin/spacelet-probe", "read", file}).output)["data"];
  };
  EXPECT_EQ(read(pidsMax), "100\n");
  auto updated = runtime({"update", "--pids-limit", "12", id});
  ASSERT_EQ(updated.status, 0) << updated.output;
  EXPECT_EQ(read(pidsMax), "12\n");
  std::ofstream(state_ / "resources.json") << R"({"pids": {"limit": 34}})";
  ASSERT_EQ(runtime({"update", "--resources", state_ / "resources.json", id}).status, 0);
  EXPECT_EQ(read(pidsMax), "34\n");
  auto fromStdin = runtime({"update", "-r", "-", id}, R"({"pids": {"limit": 56}})");
  ASSERT_EQ(fromStdin.status, 0) << fromStdin.output;
  EXPECT_EQ(read(pidsMax), "56\n");
  auto bad = runtime({"update", "-r", "-", id}, R"({"pids": {"limit": "many"}})");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.output.find("resources.pids.limit"), std::string::npos) << bad.output;
  EXPECT_EQ(read(pidsMax), "56\n") << "a bad update changes nothing";
}

Json seccompProfile() {
  return Json::parse(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [
      {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
      {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
       "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}
    ]})");
}

TEST_F(ResourcesTest, SeccompFilterAppliesToInitAndExec) {
  for (bool noNewPrivileges : {true, false}) {
    config_["process"]["noNewPrivileges"] = noNewPrivileges;
    config_["linux"]["seccomp"] = seccompProfile();
    Json mkdir = probe({"syscall", "mkdir", "/tmp/x"});
    EXPECT_EQ(mkdir["errno"], 13) << "noNewPrivileges " << noNewPrivileges;
    EXPECT_EQ(probe({"syscall", "personality", "8"})["errno"], EPERM);
    EXPECT_EQ(probe({"syscall", "personality", "0"})["ok"], true) << "argument condition";
    Json report = probe({"report"});
    EXPECT_EQ(report["status"]["Seccomp"], "2");
  }
  std::string id = startSleeper();
  Json viaExec = lastJsonLine(
      runtime({"exec", id, "/bin/spacelet-probe", "syscall", "mkdir", "/tmp/y"}).output);
  EXPECT_EQ(viaExec["errno"], 13);
}

}  // namespace
}  // namespace spacelet::sandbox::testing
