// Turning config.json `mounts` into mount steps, purely: option words become mount(2) flags,
// mount_setattr(2) attributes (plain and recursive), a propagation change and the
// filesystem data string. The child applies the steps (mounts.h) without interpreting text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sandbox/spec/config.h"
#include "spacelet/base/error.h"

namespace spacelet::sandbox::linux {

enum class MountKind {
  kBind,        // bind or rbind of a host path
  kFilesystem,  // a fresh filesystem: proc, sysfs, tmpfs, devpts, mqueue, overlay, ...
  kCgroup,      // the container's view of the cgroup hierarchy (cgroup or cgroup2)
};

struct MountStep {
  MountKind kind = MountKind::kFilesystem;
  std::string source;       // absolute host path for binds; the fs source otherwise
  std::string destination;  // inside the container
  std::string type;         // filesystem type (kFilesystem)
  std::string data;         // filesystem options, comma-joined
  unsigned long flags = 0;  // mount(2) MS_* flags (kFilesystem)
  bool recursive = false;   // rbind
  // mount_setattr(2) on the new mount: attr* on it alone, recAttr* with AT_RECURSIVE.
  uint64_t attrSet = 0;
  uint64_t attrClr = 0;
  uint64_t recAttrSet = 0;
  uint64_t recAttrClr = 0;
  unsigned long propagation = 0;  // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE [| MS_REC]
  bool sourceIsFile = false;      // a bind of a file: the target is created as a file
  // A bind's source, opened O_PATH by the parent before clone (the plan owns it): the child
  // clones the tree from this fd, so it needs no search permission on the host path,
  // which the root of a user namespace usually lacks.
  int sourceFd = -1;
  bool readonly() const;  // the new mount ends up read-only
};

// Plans one mount. `bundle` resolves relative bind sources; `path` ("mounts[3]") prefixes
// errors. Does not touch the filesystem (sourceIsFile and sourceFd are filled in by the
// caller).
Result<MountStep> planMount(const spec::Mount& mount, const std::string& bundle,
                            const std::string& path);

// The propagation flags of a word such as "rslave" (0 for "", error when unknown).
Result<unsigned long> propagationFlags(const std::string& word);

}  // namespace spacelet::sandbox::linux
