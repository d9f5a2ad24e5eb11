// Cross-field validation of config.json (see validate.h).
#include "sandbox/spec/validate.h"

#include <algorithm>

#include "sandbox/spec/json_fields.h"
#include "sandbox/spec/names.h"

namespace spacelet::sandbox::spec {
namespace {

bool startsWith(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

Result<void> requireAbsolute(const std::string& value, const std::string& path) {
  if (value.empty() || value[0] != '/') {
    return failInvalid(path + ": '" + value + "' must be an absolute path (start it with '/')");
  }
  return {};
}

Result<void> validateMappings(const std::vector<IdMapping>& maps, const std::string& path) {
  for (size_t i = 0; i < maps.size(); ++i) {
    for (size_t k = 0; k < i; ++k) {
      auto overlaps = [](uint64_t a, uint64_t b, uint64_t sizeA, uint64_t sizeB) {
        return a < b + sizeB && b < a + sizeA;
      };
      if (overlaps(maps[i].containerId, maps[k].containerId, maps[i].size, maps[k].size) ||
          overlaps(maps[i].hostId, maps[k].hostId, maps[i].size, maps[k].size)) {
        return failInvalid(indexPath(path, i) + ": overlaps " + indexPath(path, k) +
                           "; id ranges must not overlap");
      }
    }
  }
  return {};
}

Result<void> validateUserNamespace(const Spec& spec) {
  const Namespace* user = spec.findNamespace(NamespaceType::kUser);
  bool wantsMaps = user != nullptr && user->path.empty();
  bool hasMaps = !spec.linux.uidMappings.empty() || !spec.linux.gidMappings.empty();
  if (wantsMaps && (spec.linux.uidMappings.empty() || spec.linux.gidMappings.empty())) {
    return failInvalid(
        "linux.uidMappings, linux.gidMappings: a new user namespace needs both "
        "(e.g. [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}])");
  }
  if (!wantsMaps && hasMaps) {
    return failInvalid(
        "linux.uidMappings: mappings are only for a new user namespace; add "
        "{\"type\": \"user\"} to linux.namespaces or remove the mappings");
  }
  SPACELET_TRY(validateMappings(spec.linux.uidMappings, "linux.uidMappings"));
  SPACELET_TRY(validateMappings(spec.linux.gidMappings, "linux.gidMappings"));
  return {};
}

Result<void> requireNewNamespace(const Spec& spec, NamespaceType type, const std::string& path,
                                 const std::string& what) {
  const Namespace* ns = spec.findNamespace(type);
  if (ns == nullptr || !ns->path.empty()) {
    return failInvalid(path + ": " + what + " needs a new " + std::string(namespaceName(type)) +
                       " namespace; add {\"type\": \"" + std::string(namespaceName(type)) +
                       "\"} to linux.namespaces");
  }
  return {};
}

Result<void> validateNamespaceUsers(const Spec& spec) {
  if (!spec.hostname.empty()) {
    SPACELET_TRY(requireNewNamespace(spec, NamespaceType::kUts, "hostname", "setting a hostname"));
  }
  if (!spec.domainname.empty()) {
    SPACELET_TRY(
        requireNewNamespace(spec, NamespaceType::kUts, "domainname", "setting a domainname"));
  }
  if (!spec.linux.timeOffsets.empty()) {
    SPACELET_TRY(requireNewNamespace(spec, NamespaceType::kTime, "linux.timeOffsets",
                                     "setting clock offsets"));
  }
  for (const auto& [key, value] : spec.linux.sysctl) {
    std::string path = fieldPath("linux.sysctl", key);
    auto type = sysctlNamespace(key);
    if (!type) {
      return failInvalid(path + ": '" + key +
                         "' is not namespaced, so a container may not set "
                         "it; set it on the host instead");
    }
    if (!spec.hasNamespace(*type)) {
      return failInvalid(path + ": '" + key + "' needs the container's own " +
                         std::string(namespaceName(*type)) + " namespace");
    }
  }
  if (!spec.hasNamespace(NamespaceType::kMount)) {
    return failInvalid(
        "linux.namespaces: a mount namespace is required (spacelet-run sets up "
        "the rootfs in it); add {\"type\": \"mount\"}");
  }
  return {};
}

Result<void> validatePaths(const Spec& spec) {
  if (spec.root.path.empty()) return failInvalid("root.path: must not be empty");
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    SPACELET_TRY(requireAbsolute(spec.mounts[i].destination,
                                 fieldPath(indexPath("mounts", i), "destination")));
  }
  for (size_t i = 0; i < spec.linux.maskedPaths.size(); ++i) {
    SPACELET_TRY(requireAbsolute(spec.linux.maskedPaths[i], indexPath("linux.maskedPaths", i)));
  }
  for (size_t i = 0; i < spec.linux.readonlyPaths.size(); ++i) {
    SPACELET_TRY(requireAbsolute(spec.linux.readonlyPaths[i], indexPath("linux.readonlyPaths", i)));
  }
  for (size_t i = 0; i < spec.linux.devices.size(); ++i) {
    SPACELET_TRY(requireAbsolute(spec.linux.devices[i].path,
                                 fieldPath(indexPath("linux.devices", i), "path")));
  }
  return {};
}

Result<void> validateCapabilities(const Capabilities& caps, const std::string& path) {
  uint64_t missing = caps.ambient & ~(caps.permitted & caps.inheritable);
  for (int cap = 0; cap <= lastCapability(); ++cap) {
    if ((missing >> cap) & 1) {
      return failInvalid(path + ".ambient: '" + std::string(capabilityName(cap)) +
                         "' must also be in permitted and inheritable");
    }
  }
  uint64_t beyond = caps.effective & ~caps.permitted;
  for (int cap = 0; cap <= lastCapability(); ++cap) {
    if ((beyond >> cap) & 1) {
      return failInvalid(path + ".effective: '" + std::string(capabilityName(cap)) +
                         "' must also be in permitted");
    }
  }
  return {};
}

}  // namespace

bool isMapped(const std::vector<IdMapping>& mappings, uint32_t id) {
  return std::any_of(mappings.begin(), mappings.end(), [&](const IdMapping& m) {
    return id >= m.containerId && uint64_t{id} < uint64_t{m.containerId} + m.size;
  });
}

std::optional<NamespaceType> sysctlNamespace(const std::string& key) {
  // The namespaced sysctls, as runc and the kernel's ipc/uts/net namespaces define them.
  static const char* const kIpc[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                     "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                     "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (const char* name : kIpc) {
    if (key == name) return NamespaceType::kIpc;
  }
  if (startsWith(key, "fs.mqueue.")) return NamespaceType::kIpc;
  if (key == "kernel.hostname" || key == "kernel.domainname") return NamespaceType::kUts;
  if (startsWith(key, "net.")) return NamespaceType::kNetwork;
  return std::nullopt;
}

Result<void> validateProcess(const Process& process, const Spec& spec, const std::string& path) {
  if (process.args.empty() || process.args[0].empty()) {
    return failInvalid(fieldPath(path, "args") +
                       ": must name the program to run, e.g. "
                       "[\"/bin/sh\"]");
  }
  SPACELET_TRY(requireAbsolute(process.cwd, fieldPath(path, "cwd")));
  for (size_t i = 0; i < process.env.size(); ++i) {
    if (process.env[i].find('=') == std::string::npos) {
      return failInvalid(indexPath(fieldPath(path, "env"), i) + ": '" + process.env[i] +
                         "' is not NAME=value");
    }
  }
  if (process.capabilities) {
    SPACELET_TRY(validateCapabilities(*process.capabilities, fieldPath(path, "capabilities")));
  }
  const Namespace* user = spec.findNamespace(NamespaceType::kUser);
  if (user != nullptr && user->path.empty()) {
    if (!isMapped(spec.linux.uidMappings, process.user.uid)) {
      return failInvalid(fieldPath(path, "user.uid") + ": " + std::to_string(process.user.uid) +
                         " is not mapped by linux.uidMappings; map it or pick a mapped uid");
    }
    if (!isMapped(spec.linux.gidMappings, process.user.gid)) {
      return failInvalid(fieldPath(path, "user.gid") + ": " + std::to_string(process.user.gid) +
                         " is not mapped by linux.gidMappings; map it or pick a mapped gid");
    }
  }
  return {};
}

Result<void> validate(const Spec& spec) {
  if (!startsWith(spec.ociVersion, "1.")) {
    return failInvalid("ociVersion: '" + spec.ociVersion +
                       "' is not supported (spacelet-run implements runtime-spec 1.x)");
  }
  if (!spec.process) return failInvalid("process: missing (say what to run)");
  SPACELET_TRY(validatePaths(spec));
  SPACELET_TRY(validateUserNamespace(spec));
  SPACELET_TRY(validateNamespaceUsers(spec));
  SPACELET_TRY(validateProcess(*spec.process, spec, "process"));
  return {};
}

}  // namespace spacelet::sandbox::spec
