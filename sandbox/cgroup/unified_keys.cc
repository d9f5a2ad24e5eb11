// Validation of linux.resources.unified keys (see unified_keys.h).
#include "unified_keys.h"

namespace spacelet::sandbox::cgroup {
namespace {

// cgroup core files a container's limits may set; the others (procs, threads, freeze,
// kill, subtree_control, type) move, stop or kill processes and belong to the runtime.
bool isSettableCoreFile(const std::string& key) {
  return key == "cgroup.max.depth" || key == "cgroup.max.descendants";
}

std::string joined(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : " ") + n;
  return out.empty() ? "none" : out;
}

Result<void> checkShape(const std::string& key) {
  std::string field = unifiedField(key);
  if (key.empty() || key == "." || key == ".." || key.find('/') != std::string::npos ||
      key.find('\0') != std::string::npos) {
    return failInvalid(field + ": not a cgroup file name; keys are plain names like 'memory.high'");
  }
  size_t dot = key.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == key.size()) {
    return failInvalid(field + ": not of the form '<controller>.<file>' (e.g. 'memory.high')");
  }
  return {};
}

}  // namespace

std::string unifiedField(const std::string& key) {
  return "linux.resources.unified['" + key + "']";
}

std::string controllerOf(const std::string& key) {
  if (!checkShape(key)) return "";
  return key.substr(0, key.find('.'));
}

Result<void> checkUnifiedKey(const std::string& key, const std::set<std::string>& controllers,
                             const FileStateFn& state) {
  SPACELET_TRY(checkShape(key));
  std::string field = unifiedField(key);
  std::string controller = controllerOf(key);
  if (controller == "cgroup") {
    if (!isSettableCoreFile(key)) {
      return failInvalid(field + ": managed by the runtime; of the cgroup.* files only " +
                         "cgroup.max.depth and cgroup.max.descendants may be set");
    }
  } else if (!controllers.count(controller)) {
    return failInvalid(
        field + ": the '" + controller +
        "' controller is not available in this cgroup (available: " + joined(controllers) + ")");
  }
  switch (state(key)) {
    case FileState::kAbsent:
      return failInvalid(field + ": the cgroup has no file '" + key +
                         "'; check the name against the kernel's cgroup-v2 documentation");
    case FileState::kReadOnly:
      return failInvalid(field + ": '" + key + "' is read-only; remove it");
    case FileState::kWritable:
      break;
  }
  return {};
}

}  // namespace spacelet::sandbox::cgroup
