// Mount option planning (see mount_plan.h). Option words follow mount(8) and the OCI
// runtime-spec's list (including the recursive "r*" attributes of mount_setattr(2)).
#include "sandbox/linux/mount_plan.h"

#include <sys/mount.h>

#include <string_view>

namespace spacelet::sandbox::linux {
namespace {

struct FlagWord {
  std::string_view word;
  bool clear;          // "rw" clears what "ro" sets
  unsigned long flag;  // MS_*
  uint64_t attr;       // MOUNT_ATTR_* (0: none)
};

constexpr FlagWord kFlagWords[] = {
    {"ro", false, MS_RDONLY, MOUNT_ATTR_RDONLY},
    {"rw", true, MS_RDONLY, MOUNT_ATTR_RDONLY},
    {"nosuid", false, MS_NOSUID, MOUNT_ATTR_NOSUID},
    {"suid", true, MS_NOSUID, MOUNT_ATTR_NOSUID},
    {"nodev", false, MS_NODEV, MOUNT_ATTR_NODEV},
    {"dev", true, MS_NODEV, MOUNT_ATTR_NODEV},
    {"noexec", false, MS_NOEXEC, MOUNT_ATTR_NOEXEC},
    {"exec", true, MS_NOEXEC, MOUNT_ATTR_NOEXEC},
    {"nodiratime", false, MS_NODIRATIME, MOUNT_ATTR_NODIRATIME},
    {"diratime", true, MS_NODIRATIME, MOUNT_ATTR_NODIRATIME},
    {"nosymfollow", false, MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
    {"symfollow", true, MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
    {"sync", false, MS_SYNCHRONOUS, 0},
    {"async", true, MS_SYNCHRONOUS, 0},
    {"dirsync", false, MS_DIRSYNC, 0},
    {"mand", false, MS_MANDLOCK, 0},
    {"nomand", true, MS_MANDLOCK, 0},
    {"silent", false, MS_SILENT, 0},
    {"loud", true, MS_SILENT, 0},
    {"iversion", false, MS_I_VERSION, 0},
    {"noiversion", true, MS_I_VERSION, 0},
    {"lazytime", false, MS_LAZYTIME, 0},
    {"nolazytime", true, MS_LAZYTIME, 0},
};

// atime modes are one field of mount_setattr's attributes.
struct AtimeWord {
  std::string_view word;
  unsigned long setFlag;
  unsigned long clearFlags;
  uint64_t attr;
};

constexpr AtimeWord kAtimeWords[] = {
    {"noatime", MS_NOATIME, MS_RELATIME | MS_STRICTATIME, MOUNT_ATTR_NOATIME},
    {"relatime", MS_RELATIME, MS_NOATIME | MS_STRICTATIME, MOUNT_ATTR_RELATIME},
    {"strictatime", MS_STRICTATIME, MS_NOATIME | MS_RELATIME, MOUNT_ATTR_STRICTATIME},
    {"atime", 0, MS_NOATIME, MOUNT_ATTR_RELATIME},
    {"norelatime", 0, MS_RELATIME, MOUNT_ATTR_STRICTATIME},
    {"nostrictatime", 0, MS_STRICTATIME, MOUNT_ATTR_RELATIME},
};

struct PropagationWord {
  std::string_view word;
  unsigned long flags;
};

constexpr PropagationWord kPropagationWords[] = {
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

bool applyFlagWord(std::string_view word, MountStep& step) {
  for (const auto& w : kFlagWords) {
    if (w.word != word) continue;
    if (w.clear) {
      step.flags &= ~w.flag;
      step.attrSet &= ~w.attr;
      step.attrClr |= w.attr;
    } else {
      step.flags |= w.flag;
      step.attrSet |= w.attr;
      step.attrClr &= ~w.attr;
    }
    return true;
  }
  for (const auto& w : kAtimeWords) {
    if (w.word != word) continue;
    step.flags = (step.flags & ~w.clearFlags) | w.setFlag;
    step.attrSet = (step.attrSet & ~uint64_t{MOUNT_ATTR__ATIME}) | w.attr;
    step.attrClr |= MOUNT_ATTR__ATIME;
    return true;
  }
  return false;
}

// "rro", "rnosuid", ...: the recursive attribute words (mount_setattr with AT_RECURSIVE).
bool applyRecursiveWord(std::string_view word, MountStep& step) {
  if (word.size() < 2 || word[0] != 'r') return false;
  std::string_view plain = word.substr(1);
  for (const auto& w : kFlagWords) {
    if (w.word != plain || w.attr == 0) continue;
    (w.clear ? step.recAttrClr : step.recAttrSet) |= w.attr;
    (w.clear ? step.recAttrSet : step.recAttrClr) &= ~w.attr;
    return true;
  }
  for (const auto& w : kAtimeWords) {
    if (w.word != plain) continue;
    step.recAttrSet = (step.recAttrSet & ~uint64_t{MOUNT_ATTR__ATIME}) | w.attr;
    step.recAttrClr |= MOUNT_ATTR__ATIME;
    return true;
  }
  return false;
}

Result<void> applyWord(const std::string& word, MountStep& step, const std::string& path) {
  if (word == "bind" || word == "rbind") {
    step.kind = MountKind::kBind;
    step.recursive = step.recursive || word == "rbind";
    return {};
  }
  if (applyFlagWord(word, step) || applyRecursiveWord(word, step)) return {};
  for (const auto& p : kPropagationWords) {
    if (p.word == word) {
      step.propagation = p.flags;
      return {};
    }
  }
  if (word == "idmap" || word == "ridmap" || word == "tmpcopyup" || word == "remount") {
    return failInvalid(path + ": option '" + word + "' is not supported by spacelet-run");
  }
  if (!step.data.empty()) step.data += ',';
  step.data += word;
  return {};
}

}  // namespace

bool MountStep::readonly() const {
  return (kind == MountKind::kBind ? (attrSet & MOUNT_ATTR_RDONLY) != 0
                                   : (flags & MS_RDONLY) != 0) ||
         (recAttrSet & MOUNT_ATTR_RDONLY) != 0;
}

Result<unsigned long> propagationFlags(const std::string& word) {
  if (word.empty()) return 0ul;
  for (const auto& p : kPropagationWords) {
    if (p.word == word) return p.flags;
  }
  return failInvalid("unknown propagation '" + word + "'");
}

Result<MountStep> planMount(const spec::Mount& mount, const std::string& bundle,
                            const std::string& path) {
  MountStep step;
  step.destination = mount.destination;
  step.type = mount.type;
  step.source = mount.source;
  if (mount.type == "bind") step.kind = MountKind::kBind;
  if (mount.type == "cgroup" || mount.type == "cgroup2") step.kind = MountKind::kCgroup;
  for (const auto& word : mount.options) SPACELET_TRY(applyWord(word, step, path + ".options"));
  if (step.kind == MountKind::kBind) {
    if (step.source.empty()) {
      return failInvalid(path + ".source: a bind mount needs a source path on the host");
    }
    if (step.source[0] != '/') step.source = bundle + "/" + step.source;
    step.data.clear();  // bind mounts take no filesystem options
  } else if (step.type.empty()) {
    return failInvalid(path + ".type: missing (e.g. \"tmpfs\", or \"bind\" with a source)");
  }
  if (step.kind == MountKind::kFilesystem && step.source.empty()) step.source = step.type;
  return step;
}

}  // namespace spacelet::sandbox::linux
