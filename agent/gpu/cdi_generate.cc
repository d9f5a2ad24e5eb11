// generateSpec(): Discovery → CDI JSON. Device nodes under a fake devDir carry hostPath; nodes
// known only from /proc/devices carry type/major/minor so the runtime can create them.
#include "agent/gpu/cdi_generate.h"

#include <sys/stat.h>

#include "spacelet/base/file_io.h"

namespace spacelet::agent::gpu {
namespace {

using nlohmann::json;

constexpr const char* kSpecVersion = "0.6.0";

json nodeJson(const DiscoveredNode& node) {
  json j{{"path", node.path}};
  if (node.hostPath != node.path) j["hostPath"] = node.hostPath;
  if (!node.onHost) {
    j["type"] = node.type;
    j["major"] = node.major;
    j["minor"] = node.minor;
  }
  return j;
}

json mountJson(const DiscoveredFile& file) {
  return {{"hostPath", file.hostPath},
          {"containerPath", file.containerPath},
          {"options", {"ro", "nosuid", "nodev", "bind"}}};
}

json gpuDevice(const DiscoveredNode& node, const Discovery& discovery) {
  json device{{"name", std::to_string(node.minor)},
              {"containerEdits", {{"deviceNodes", json::array({nodeJson(node)})}}}};
  auto host = discovery.hostGpus.find(node.path);
  if (host != discovery.hostGpus.end()) {
    json annotations = json::object();
    if (!host->second.model.empty()) annotations[kModelAnnotation] = host->second.model;
    if (!host->second.uuid.empty()) annotations[kUuidAnnotation] = host->second.uuid;
    if (!annotations.empty()) device["annotations"] = annotations;
  }
  return device;
}

json sharedEdits(const Discovery& discovery) {
  json nodes = json::array(), mounts = json::array();
  for (const auto& node : discovery.controlNodes) nodes.push_back(nodeJson(node));
  for (const auto& lib : discovery.libraries) mounts.push_back(mountJson(lib));
  for (const auto& bin : discovery.binaries) mounts.push_back(mountJson(bin));
  json edits = json::object();
  if (!nodes.empty()) edits["deviceNodes"] = nodes;
  if (!mounts.empty()) edits["mounts"] = mounts;
  return edits;
}

// mkdir -p: /var/run/cdi may not exist yet on a fresh boot.
Result<void> makeDirs(const std::string& dir) {
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    std::string prefix = dir.substr(0, slash);
    if (!prefix.empty() && ::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return failErrno(errno, "create CDI spec directory '" + prefix + "'");
    }
    if (slash == std::string::npos) return {};
  }
}

}  // namespace

Result<nlohmann::json> generateSpec(const Discovery& discovery, const GenerateOptions& options) {
  if (discovery.gpus.empty()) {
    return failInvalid(
        "no NVIDIA GPU device nodes (/dev/nvidia0, /dev/nvidia1, ...) were found; "
        "is the NVIDIA driver loaded (nvidia-smi, or nvidia-modprobe to create "
        "the nodes)?");
  }
  json devices = json::array(), all = json::array();
  for (const auto& node : discovery.gpus) {
    devices.push_back(gpuDevice(node, discovery));
    all.push_back(nodeJson(node));
  }
  devices.push_back({{"name", "all"}, {"containerEdits", {{"deviceNodes", all}}}});
  json spec{{"cdiVersion", kSpecVersion}, {"kind", options.kind}, {"devices", devices}};
  json edits = sharedEdits(discovery);
  if (!edits.empty()) spec["containerEdits"] = edits;
  if (!discovery.driverVersion.empty()) {
    spec["annotations"] = {{"spacelet.dev/driver-version", discovery.driverVersion}};
  }
  return spec;
}

Result<void> writeSpec(const nlohmann::json& spec, const std::string& dir,
                       const std::string& fileName) {
  SPACELET_TRY(makeDirs(dir));
  auto dirFd = openAt(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY);
  if (!dirFd) return fail(std::move(dirFd).error());
  return writeFileAtomicAt(dirFd->get(), fileName, spec.dump(2) + "\n", 0644);
}

}  // namespace spacelet::agent::gpu
