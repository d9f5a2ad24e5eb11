// The container's filesystem, asserted from inside: root.readonly, mounts (bind, rbind,
// files, tmpfs options, flags, propagation, recursive attributes), masked and read-only
// paths, devices and the device cgroup, rootfsPropagation, /sys/fs/cgroup.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "runtime_fixture.h"

namespace spacelet::sandbox::testing {
namespace {

using FilesystemTest = RuntimeTest;
namespace fs = std::filesystem;

bool hasOption(const Json& mount, const std::string& option) {
  std::string options = ",", wanted = ",";
  options.append(mount.value("options", "")).append(",");
  wanted.append(option).append(",");
  return options.find(wanted) != std::string::npos;
}

TEST_F(FilesystemTest, ReadonlyRoot) {
  config_["root"]["readonly"] = true;
  Json w = probe({"write", "/newfile", "x"});
  EXPECT_EQ(w["ok"], false);
  EXPECT_EQ(w["errno"], EROFS);
  config_["root"]["readonly"] = false;
  EXPECT_EQ(probe({"write", "/newfile", "x"})["ok"], true);
}

TEST_F(FilesystemTest, BindMountsOfDirectoriesAndFiles) {
  fs::create_directories(bundle_ / "host/sub");
  std::ofstream(bundle_ / "host/file.txt") << "from the host";
  std::ofstream(bundle_ / "single.txt") << "one file";
  config_["mounts"].push_back({{"destination", "/data"},
                               {"type", "bind"},
                               {"source", bundle_ / "host"},
                               {"options", {"bind", "ro", "nosuid"}}});
  config_["mounts"].push_back({{"destination", "/etc/single.txt"},
                               {"type", "bind"},
                               {"source", "single.txt"},
                               {"options", {"rbind"}}});
  Json r = probe({"report"});
  Json data = findMount(r, "/data");
  ASSERT_FALSE(data.is_null()) << r["mounts"];
  EXPECT_TRUE(hasOption(data, "ro"));
  EXPECT_TRUE(hasOption(data, "nosuid"));
  EXPECT_FALSE(findMount(r, "/etc/single.txt").is_null()) << "relative source: from the bundle";
  EXPECT_EQ(probe({"read", "/data/file.txt"})["data"], "from the host");
  EXPECT_EQ(probe({"write", "/data/new", "x"})["errno"], EROFS);
  EXPECT_EQ(probe({"read", "/etc/single.txt"})["data"], "one file");
}

TEST_F(FilesystemTest, RbindCarriesSubmountsAndRroMakesThemReadonly) {
  fs::create_directories(bundle_ / "tree/inner");
  ASSERT_EQ(::mount("tmpfs", (bundle_ / "tree/inner").c_str(), "tmpfs", 0, "size=1m"), 0);
  std::ofstream(bundle_ / "tree/inner/marker") << "inner";
  config_["mounts"].push_back({{"destination", "/plain"},
                               {"type", "bind"},
                               {"source", bundle_ / "tree"},
                               {"options", {"bind"}}});
  config_["mounts"].push_back({{"destination", "/recursive"},
                               {"type", "bind"},
                               {"source", bundle_ / "tree"},
                               {"options", {"rbind", "rro"}}});
  Json r = probe({"report"});
  EXPECT_TRUE(findMount(r, "/plain/inner").is_null()) << "bind does not carry submounts";
  Json inner = findMount(r, "/recursive/inner");
  ASSERT_FALSE(inner.is_null()) << r["mounts"];
  EXPECT_TRUE(hasOption(inner, "ro")) << "rro reaches submounts";
  EXPECT_EQ(probe({"write", "/recursive/inner/x", "y"})["errno"], EROFS);
}

TEST_F(FilesystemTest, TmpfsOptionsAndFlags) {
  config_["mounts"].push_back({{"destination", "/scratch"},
                               {"type", "tmpfs"},
                               {"source", "tmpfs"},
                               {"options", {"nosuid", "noexec", "nodev", "size=1m", "mode=0700"}}});
  Json r = probe({"report"});
  Json m = findMount(r, "/scratch");
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(m["type"], "tmpfs");
  for (const char* flag : {"nosuid", "noexec", "nodev"}) EXPECT_TRUE(hasOption(m, flag)) << flag;
  EXPECT_NE(m["super"].get<std::string>().find("size=1024k"), std::string::npos) << m;
  EXPECT_EQ(probe({"stat", "/scratch"})["mode"], S_IFDIR | 0700);
}

TEST_F(FilesystemTest, MountPropagationOption) {
  fs::create_directories(bundle_ / "shared-src");
  config_["mounts"].push_back({{"destination", "/shared"},
                               {"type", "bind"},
                               {"source", bundle_ / "shared-src"},
                               {"options", {"bind", "shared"}}});
  config_["mounts"].push_back({{"destination", "/private"},
                               {"type", "bind"},
                               {"source", bundle_ / "shared-src"},
                               {"options", {"bind", "private"}}});
  Json r = probe({"report"});
  EXPECT_EQ(findMount(r, "/shared")["propagation"].get<std::string>().rfind("shared:", 0), 0u)
      << findMount(r, "/shared");
  EXPECT_EQ(findMount(r, "/private")["propagation"], "");
}

TEST_F(FilesystemTest, RootfsPropagation) {
  config_["linux"]["rootfsPropagation"] = "shared";
  EXPECT_NE(findMount(probe({"report"}), "/")["propagation"].get<std::string>().find("shared:"),
            std::string::npos);
  config_["linux"]["rootfsPropagation"] = "private";
  EXPECT_EQ(findMount(probe({"report"}), "/")["propagation"], "");
}

TEST_F(FilesystemTest, StandardFilesystems) {
  Json r = probe({"report"});
  EXPECT_EQ(findMount(r, "/proc")["type"], "proc");
  EXPECT_EQ(findMount(r, "/sys")["type"], "sysfs");
  EXPECT_TRUE(hasOption(findMount(r, "/sys"), "ro"));
  EXPECT_EQ(findMount(r, "/dev/pts")["type"], "devpts");
  EXPECT_EQ(findMount(r, "/dev/mqueue")["type"], "mqueue");
  EXPECT_EQ(findMount(r, "/dev/shm")["type"], "tmpfs");
  EXPECT_EQ(probe({"stat", "/dev/ptmx"})["mode"].get<unsigned>() & S_IFMT, S_IFLNK);
  EXPECT_EQ(probe({"stat", "/dev/fd"})["mode"].get<unsigned>() & S_IFMT, S_IFLNK);
}

TEST_F(FilesystemTest, MaskedAndReadonlyPaths) {
  config_["linux"]["maskedPaths"] = {"/proc/timer_list", "/sys/firmware", "/no/such/path"};
  config_["linux"]["readonlyPaths"] = {"/proc/sys", "/no/such/dir"};
  Json timerList = probe({"read", "/proc/timer_list"});
  EXPECT_EQ(timerList["ok"], true);
  EXPECT_EQ(timerList["data"], "") << "masked by /dev/null";
  Json r = probe({"report"});
  Json firmware = findMount(r, "/sys/firmware");
  EXPECT_EQ(firmware["type"], "tmpfs");
  EXPECT_TRUE(hasOption(firmware, "ro"));
  EXPECT_EQ(probe({"write", "/proc/sys/kernel/hostname", "x"})["errno"], EROFS);
  config_["linux"]["readonlyPaths"] = Json::array();
  EXPECT_EQ(probe({"write", "/proc/sys/kernel/hostname", "x"})["ok"], true) << "control";
}

TEST_F(FilesystemTest, DevicesAndTheDeviceCgroup) {
  config_["linux"]["devices"] = {{{"path", "/dev/fuse"},
                                  {"type", "c"},
                                  {"major", 10},
                                  {"minor", 229},
                                  {"fileMode", 0640},
                                  {"uid", 1000},
                                  {"gid", 1000}}};
  Json fuse = probe({"stat", "/dev/fuse"});
  ASSERT_EQ(fuse["ok"], true);
  EXPECT_EQ(fuse["mode"], S_IFCHR | 0640);
  EXPECT_EQ(fuse["rdev_major"], 10);
  EXPECT_EQ(fuse["rdev_minor"], 229);
  EXPECT_EQ(fuse["uid"], 1000);
  for (const char* dev :
       {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"}) {
    EXPECT_EQ(probe({"stat", dev})["mode"].get<unsigned>() & S_IFMT, S_IFCHR) << dev;
  }
  EXPECT_EQ(probe({"open", "/dev/null", "rw"})["ok"], true);
  // A node the image carries but the container was not given: the device cgroup says no.
  fs::create_directories(bundle_ / "rootfs/nodes");
  ASSERT_EQ(::mknod((bundle_ / "rootfs/nodes/mem").c_str(), S_IFCHR | 0666, makedev(1, 1)), 0);
  Json mem = probe({"open", "/nodes/mem", "r"});
  EXPECT_EQ(mem["ok"], false);
  EXPECT_EQ(mem["errno"], EPERM);
}

TEST_F(FilesystemTest, CgroupMountShowsTheContainersOwnLimits) {
  config_["linux"]["resources"]["memory"] = {{"limit", 64 << 20}};
  config_["linux"]["resources"]["pids"] = {{"limit", 77}};
  Json r = probe({"report"});
  Json cg = findMount(r, "/sys/fs/cgroup");
  ASSERT_FALSE(cg.is_null());
  EXPECT_TRUE(hasOption(cg, "ro"));
  bool unified = cg["type"] == "cgroup2";
  Json pids = probe({"read", unified ? "/sys/fs/cgroup/pids.max" : "/sys/fs/cgroup/pids/pids.max"});
  EXPECT_EQ(pids["data"], "77\n");
  Json mem = probe({"read", unified ? "/sys/fs/cgroup/memory.max"
                                    : "/sys/fs/cgroup/memory/memory.limit_in_bytes"});
  EXPECT_EQ(mem["data"], std::to_string(64 << 20) + "\n");
  EXPECT_EQ(probe({"write", unified ? "/sys/fs/cgroup/pids.max" : "/sys/fs/cgroup/pids/pids.max",
                   "max"})["errno"],
            EROFS);
}

}  // namespace
}  // namespace spacelet::sandbox::testing
