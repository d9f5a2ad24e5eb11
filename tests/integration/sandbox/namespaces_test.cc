// Namespaces, asserted from inside: every type new, joined by path, the user namespace
// with its id maps, hostname/domainname, sysctl, personality and time offsets.
#include <sys/personality.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "runtime_fixture.h"

namespace spacelet::sandbox::testing {
namespace {

using NamespacesTest = RuntimeTest;

std::string hostNamespace(const std::string& name) {
  char buf[128];
  ssize_t n = ::readlink(("/proc/self/ns/" + name).c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

Json allNamespaces() {
  Json list = Json::array();
  for (const char* type : {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"}) {
    list.push_back({{"type", type}});
  }
  return list;
}

Json mapping(uint32_t container, uint32_t host, uint32_t size) {
  return {{"containerID", container}, {"hostID", host}, {"size", size}};
}

TEST_F(NamespacesTest, EveryTypeIsNew) {
  config_["linux"]["namespaces"] = allNamespaces();
  config_["linux"]["uidMappings"] = {mapping(0, 200000, 65536)};
  config_["linux"]["gidMappings"] = {mapping(0, 200000, 65536)};
  Json r = probe({"report"});
  for (const char* ns : {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"}) {
    ASSERT_TRUE(r["namespaces"].contains(ns)) << ns;
    EXPECT_NE(r["namespaces"][ns], hostNamespace(ns)) << ns;
  }
  EXPECT_EQ(r["pid"], 1) << "the init is pid 1 of its pid namespace";
}

TEST_F(NamespacesTest, UserNamespaceMapsIds) {
  config_["linux"]["namespaces"].push_back({{"type", "user"}});
  config_["linux"]["uidMappings"] = {mapping(0, 300000, 1000), mapping(1000, 301000, 1)};
  config_["linux"]["gidMappings"] = {mapping(0, 300000, 65536)};
  config_["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  Json r = probe({"report"});
  EXPECT_EQ(r["uid"], 1000);
  EXPECT_NE(r["uid_map"].get<std::string>().find("1000     301000          1"), std::string::npos)
      << r["uid_map"];
  EXPECT_NE(r["gid_map"].get<std::string>().find("0     300000      65536"), std::string::npos)
      << r["gid_map"];
  // A file the container writes belongs to the mapped host id.
  ASSERT_EQ(probe({"write", "/tmp/owned", "x"})["ok"], true);
  struct stat st {};
  ASSERT_EQ(::stat((bundle_ / "rootfs/tmp/owned").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 301000u);
  EXPECT_EQ(st.st_gid, 301000u);
  // Devices are bind-mounted from the host (mknod is not allowed in a user namespace).
  EXPECT_EQ(probe({"open", "/dev/null", "rw"})["ok"], true);
}

TEST_F(NamespacesTest, JoinNamespacesByPath) {
  std::string a = startSleeper();
  pid_t pid = initPid(a);
  ASSERT_GT(pid, 0);
  std::string proc = "/proc/" + std::to_string(pid) + "/ns/";
  Json joined = Json::array({{{"type", "mount"}},
                             {{"type", "pid"}},
                             {{"type", "network"}, {"path", proc + "net"}},
                             {{"type", "ipc"}, {"path", proc + "ipc"}},
                             {{"type", "uts"}, {"path", proc + "uts"}}});
  config_["linux"]["namespaces"] = joined;
  config_.erase("hostname");
  Json b = probe({"report"});
  Json inA = lastJsonLine(runtime({"exec", a, "/bin/spacelet-probe", "report"}).output);
  for (const char* ns : {"net", "ipc", "uts"})
    EXPECT_EQ(b["namespaces"][ns], inA["namespaces"][ns]) << ns;
  EXPECT_NE(b["namespaces"]["mnt"], inA["namespaces"]["mnt"]);
  EXPECT_EQ(b["hostname"], "spacelet") << "the joined UTS namespace's name";
  // A path that is not a namespace of that type is an error naming it.
  config_["linux"]["namespaces"][2]["path"] = proc + "ipc";
  auto wrong = runContainer({"/bin/true"});
  EXPECT_NE(wrong.status, 0);
  EXPECT_NE(wrong.output.find("is a namespace of another type"), std::string::npos) << wrong.output;
}

TEST_F(NamespacesTest, HostnameAndDomainname) {
  config_["hostname"] = "space-1";
  config_["domainname"] = "example.org";
  Json r = probe({"report"});
  EXPECT_EQ(r["hostname"], "space-1");
  EXPECT_EQ(r["domainname"], "example.org");
}

TEST_F(NamespacesTest, Sysctl) {
  config_["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}, {"kernel.shmmax", "12345678"}};
  EXPECT_EQ(probe({"read", "/proc/sys/net/ipv4/ip_forward"})["data"], "1\n");
  EXPECT_EQ(probe({"read", "/proc/sys/kernel/shmmax"})["data"], "12345678\n");
  std::ifstream host("/proc/sys/kernel/shmmax");
  std::string hostValue;
  host >> hostValue;
  EXPECT_NE(hostValue, "12345678") << "the host's value is untouched";
}

TEST_F(NamespacesTest, Personality) {
  config_["linux"]["personality"] = {{"domain", "LINUX32"}};
  EXPECT_EQ(probe({"report"})["personality"].get<int>() & PER_MASK, PER_LINUX32);
  config_["linux"].erase("personality");
  EXPECT_EQ(probe({"report"})["personality"].get<int>() & PER_MASK, PER_LINUX);
}

TEST_F(NamespacesTest, TimeNamespaceOffsets) {
  config_["linux"]["namespaces"].push_back({{"type", "time"}});
  config_["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 86400 * 365}, {"nanosecs", 0}}},
                                     {"boottime", {{"secs", 86400 * 2}, {"nanosecs", 0}}}};
  struct timespec now {};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  Json inside = probe({"clock"});
  long shifted = inside["monotonic"].get<long>() - now.tv_sec;
  EXPECT_GE(shifted, 86400 * 365 - 60);
  EXPECT_LE(shifted, 86400 * 365 + 60);
  EXPECT_GE(inside["boottime"].get<long>() - inside["monotonic"].get<long>(), -86400 * 364);
}

}  // namespace
}  // namespace spacelet::sandbox::testing
