// What an NVIDIA node has, read from the host for the CDI generator: GPU device nodes
// (/dev/nvidia[0-9]*), the control nodes (nvidiactl, nvidia-uvm, nvidia-uvm-tools,
// nvidia-modeset, /dev/nvidia-caps/*), dynamic majors from /proc/devices, each GPU's model and
// uuid from /proc/driver/nvidia/gpus, the driver's user-space libraries from ld.so.cache, and
// binaries such as nvidia-smi. Every root is injectable so tests run on a fake /dev and cache.
// Reads only; thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "agent/gpu/inventory.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::gpu {

// The driver libraries nvidia-ctk mounts for compute, utility and video (base names; the
// cache's versioned sonames of each are taken).
const std::vector<std::string>& defaultDriverLibraries();
// The driver's command-line tools mounted when present.
const std::vector<std::string>& defaultDriverBinaries();

struct DiscoveryOptions {
  std::string devDir = "/dev";
  std::string procDir = "/proc";
  std::string ldCachePath = "/etc/ld.so.cache";
  std::string libRoot = "/";  // the root the cache's paths are relative to
  std::vector<std::string> binDirs = {"/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin", "/sbin"};
  std::vector<std::string> libraries = defaultDriverLibraries();
  std::vector<std::string> binaries = defaultDriverBinaries();
};

struct DiscoveredNode {
  std::string path;      // in the container: "/dev/nvidia0"
  std::string hostPath;  // on the host (differs from path only under a fake devDir)
  std::string type = "c";
  int64_t major = 0;
  int64_t minor = 0;
  bool onHost = true;  // false: known from /proc/devices only, the runtime creates it
};

struct DiscoveredFile {
  std::string containerPath;  // where the dynamic linker looks: the cache's path
  std::string hostPath;       // the file it resolves to on the host
};

struct Discovery {
  std::vector<DiscoveredNode> gpus;          // one per /dev/nvidiaN, by minor
  std::vector<DiscoveredNode> controlNodes;  // shared by every GPU
  std::map<std::string, HostGpu> hostGpus;   // keyed by the GPU's node path
  std::vector<DiscoveredFile> libraries;
  std::vector<DiscoveredFile> binaries;
  std::string driverVersion;          // "535.104.05", "" when unknown
  std::vector<std::string> warnings;  // things odd but not fatal (a stale node, a missing cache)
};

Result<Discovery> discover(const DiscoveryOptions& options);

// /proc/devices' "Character devices:" section: name → major.
std::map<std::string, int64_t> parseProcDevices(const std::string& text);
// One /proc/driver/nvidia/gpus/<bus>/information file.
HostGpu parseGpuInformation(const std::string& text);
// The version from /proc/driver/nvidia/version ("NVRM version: ... Kernel Module  535.104.05 ...").
std::string parseDriverVersion(const std::string& text);

}  // namespace spacelet::agent::gpu
