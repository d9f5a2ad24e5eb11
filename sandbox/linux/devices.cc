// Device nodes and /dev symlinks (see devices.h).
#include "sandbox/linux/devices.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include "sandbox/linux/in_root.h"

namespace spacelet::sandbox::linux {
namespace {

struct FdGuard {
  int fd = -1;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

mode_t nodeType(char type) {
  switch (type) {
    case 'b':
      return S_IFBLK;
    case 'p':
      return S_IFIFO;
    default:
      return S_IFCHR;  // 'c' and 'u'
  }
}

// The parent directory of path inside rootFd and the final name (pointing into path).
StepError openParent(int rootFd, const char* path, FdGuard& parent, const char** base) {
  char dir[PATH_MAX];
  size_t len = std::strlen(path);
  if (len >= sizeof dir) return stepFail("path too long", path, ENAMETOOLONG);
  std::memcpy(dir, path, len + 1);
  char* slash = std::strrchr(dir, '/');
  *base = path + (slash ? slash - dir + 1 : 0);
  if (slash != nullptr) *slash = '\0';
  return mkdirAllInRoot(rootFd, dir, 0755, &parent.fd);
}

StepError makeNode(int rootFd, const DeviceNode& node) {
  FdGuard parent;
  const char* base = nullptr;
  SPACELET_STEP(openParent(rootFd, node.path.c_str(), parent, &base));
  dev_t dev = makedev(node.major, node.minor);
  if (::mknodat(parent.fd, base, node.type | node.mode, dev) != 0) {
    if (errno != EEXIST) return stepFail("create device node", node.path.c_str());
    // Replace whatever the image put there: the node must be exactly the configured one.
    if (::unlinkat(parent.fd, base, 0) != 0 ||
        ::mknodat(parent.fd, base, node.type | node.mode, dev) != 0) {
      return stepFail("replace device node", node.path.c_str());
    }
  }
  if (::fchownat(parent.fd, base, node.uid, node.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return stepFail("chown device node", node.path.c_str());
  }
  if (::fchmodat(parent.fd, base, node.mode, 0) != 0) {
    return stepFail("chmod device node", node.path.c_str());
  }
  return stepOk();
}

StepError bindNode(int rootFd, const DeviceNode& node) {
  FdGuard target;
  SPACELET_STEP(ensureFileInRoot(rootFd, node.path.c_str(), &target.fd));
  char fdPath[32];
  if (::mount(node.path.c_str(), procFdPath(target.fd, fdPath), nullptr, MS_BIND, nullptr) != 0) {
    return stepFail("bind mount host device", node.path.c_str());
  }
  return stepOk();
}

}  // namespace

std::vector<DeviceNode> planDevices(const spec::Spec& spec, bool devIsBindMounted) {
  std::vector<DeviceNode> nodes;
  if (!devIsBindMounted) {
    nodes = {{"/dev/null", S_IFCHR, 1, 3},    {"/dev/zero", S_IFCHR, 1, 5},
             {"/dev/full", S_IFCHR, 1, 7},    {"/dev/random", S_IFCHR, 1, 8},
             {"/dev/urandom", S_IFCHR, 1, 9}, {"/dev/tty", S_IFCHR, 5, 0}};
  }
  for (const auto& d : spec.linux.devices) {
    DeviceNode node{d.path,
                    nodeType(d.type),
                    static_cast<unsigned>(d.major),
                    static_cast<unsigned>(d.minor),
                    d.fileMode.value_or(0666),
                    d.uid.value_or(0),
                    d.gid.value_or(0)};
    bool replaced = false;
    for (auto& existing : nodes) {
      if (existing.path == node.path) {
        existing = node;
        replaced = true;
      }
    }
    if (!replaced) nodes.push_back(node);
  }
  return nodes;
}

std::vector<cgroup::DeviceRule> deviceAllowRules(const spec::Spec& spec) {
  std::vector<cgroup::DeviceRule> rules;
  for (const auto& d : spec.linux.devices) {
    if (d.type == 'p') continue;  // fifos are not devices to the cgroup
    rules.push_back({true, d.type == 'b' ? 'b' : 'c', d.major, d.minor, "rwm"});
  }
  return rules;
}

StepError createDevices(int rootFd, const std::vector<DeviceNode>& nodes, bool bindFromHost) {
  for (const auto& node : nodes) {
    if (bindFromHost && node.type != S_IFIFO) {
      SPACELET_STEP(bindNode(rootFd, node));
    } else {
      SPACELET_STEP(makeNode(rootFd, node));
    }
  }
  return stepOk();
}

StepError createDevSymlinks(int rootFd, bool ownDevpts) {
  FdGuard dev;
  SPACELET_STEP(mkdirAllInRoot(rootFd, "/dev", 0755, &dev.fd));
  struct Link {
    const char* target;
    const char* name;
  };
  static const Link kLinks[] = {{"/proc/self/fd", "fd"},
                                {"/proc/self/fd/0", "stdin"},
                                {"/proc/self/fd/1", "stdout"},
                                {"/proc/self/fd/2", "stderr"}};
  for (const auto& link : kLinks) {
    if (::symlinkat(link.target, dev.fd, link.name) != 0 && errno != EEXIST) {
      return stepFail("create /dev symlink", link.name);
    }
  }
  if (::access("/proc/kcore", F_OK) == 0 && ::symlinkat("/proc/kcore", dev.fd, "core") != 0 &&
      errno != EEXIST) {
    return stepFail("create /dev symlink", "core");
  }
  if (ownDevpts) {
    // The container's ptmx is its devpts instance's, not a host node from the image.
    if (::unlinkat(dev.fd, "ptmx", 0) != 0 && errno != ENOENT) {
      return stepFail("remove", "/dev/ptmx");
    }
    if (::symlinkat("pts/ptmx", dev.fd, "ptmx") != 0) return stepFail("create", "/dev/ptmx");
  }
  return stepOk();
}

}  // namespace spacelet::sandbox::linux
