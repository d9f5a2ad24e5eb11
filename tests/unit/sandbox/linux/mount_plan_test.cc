// Mount option planning: words become mount(2) flags, mount_setattr attributes, propagation
// and filesystem data; bind sources resolve against the bundle.
#include "sandbox/linux/mount_plan.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

namespace spacelet::sandbox::linux {
namespace {

MountStep plan(const spec::Mount& m) {
  auto step = planMount(m, "/bundle", "mounts[0]");
  EXPECT_TRUE(step) << step.error().message;
  return step ? *step : MountStep{};
}

TEST(MountPlan, FilesystemFlagsAndData) {
  MountStep s =
      plan({"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}});
  EXPECT_EQ(s.kind, MountKind::kFilesystem);
  EXPECT_EQ(s.flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME));
  EXPECT_EQ(s.data, "mode=755,size=65536k");
  EXPECT_EQ(s.source, "tmpfs");
  EXPECT_FALSE(s.readonly());
}

TEST(MountPlan, LaterWordsWin) {
  MountStep s = plan({"/x", "", "tmpfs", {"ro", "rw", "noexec", "exec", "noatime", "relatime"}});
  EXPECT_EQ(s.flags & MS_RDONLY, 0ul);
  EXPECT_EQ(s.flags & MS_NOEXEC, 0ul);
  EXPECT_EQ(s.flags & MS_NOATIME, 0ul);
  EXPECT_NE(s.flags & MS_RELATIME, 0ul);
  EXPECT_EQ(s.source, "tmpfs") << "an empty source becomes the type";
}

TEST(MountPlan, BindAttributesAndPropagation) {
  MountStep s = plan({"/data", "host", "bind", {"rbind", "ro", "nosuid", "rslave"}});
  EXPECT_EQ(s.kind, MountKind::kBind);
  EXPECT_TRUE(s.recursive);
  EXPECT_EQ(s.source, "/bundle/host") << "relative to the bundle";
  EXPECT_EQ(s.attrSet, uint64_t{MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID});
  EXPECT_EQ(s.propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
  EXPECT_TRUE(s.readonly());
  EXPECT_EQ(s.data, "");
  MountStep none = plan({"/etc/hosts", "/etc/hosts", "none", {"bind"}});
  EXPECT_EQ(none.kind, MountKind::kBind) << "the bind option makes a bind whatever the type";
  EXPECT_FALSE(none.recursive);
}

TEST(MountPlan, RecursiveAttributes) {
  MountStep s = plan({"/r", "/src", "bind", {"rbind", "rro", "rnosuid", "rnoatime", "rexec"}});
  EXPECT_EQ(s.recAttrSet & (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID),
            uint64_t{MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID});
  EXPECT_EQ(s.recAttrSet & MOUNT_ATTR__ATIME, uint64_t{MOUNT_ATTR_NOATIME});
  EXPECT_NE(s.recAttrClr & MOUNT_ATTR_NOEXEC, 0u);
  EXPECT_TRUE(s.readonly());
}

TEST(MountPlan, CgroupKind) {
  EXPECT_EQ(plan({"/sys/fs/cgroup", "cgroup", "cgroup", {"ro"}}).kind, MountKind::kCgroup);
  EXPECT_EQ(plan({"/sys/fs/cgroup", "cgroup2", "cgroup2", {}}).kind, MountKind::kCgroup);
}

TEST(MountPlan, Errors) {
  auto noSource = planMount({"/data", "", "bind", {}}, "/b", "mounts[3]");
  ASSERT_FALSE(noSource);
  EXPECT_EQ(noSource.error().message,
            "mounts[3].source: a bind mount needs a source path on the host");
  auto noType = planMount({"/data", "x", "", {}}, "/b", "mounts[1]");
  ASSERT_FALSE(noType);
  EXPECT_NE(noType.error().message.find("mounts[1].type: missing"), std::string::npos);
  auto idmap = planMount({"/data", "/x", "bind", {"idmap"}}, "/b", "mounts[2]");
  ASSERT_FALSE(idmap);
  EXPECT_NE(idmap.error().message.find("option 'idmap' is not supported"), std::string::npos);
}

TEST(MountPlan, PropagationWords) {
  EXPECT_EQ(*propagationFlags(""), 0ul);
  EXPECT_EQ(*propagationFlags("private"), static_cast<unsigned long>(MS_PRIVATE));
  EXPECT_EQ(*propagationFlags("runbindable"), static_cast<unsigned long>(MS_UNBINDABLE | MS_REC));
  EXPECT_FALSE(propagationFlags("sideways"));
}

}  // namespace
}  // namespace spacelet::sandbox::linux
