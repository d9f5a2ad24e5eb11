// The OCI config.json a Space runs with, generated from the image config, the Space (its
// SPACE_* environment, variables, secrets, port), the hardware flavor (limits) and the
// security defaults of DESIGN.md decision 8: a user namespace mapped to the Space's host id
// range, uid 1000 with HOME=/home/user, no capabilities, no_new_privs, the default seccomp
// profile, masked and read-only /proc and /sys paths, a read-only image root with writable
// /app and /home/user, a size-capped /tmp and the node's resolv.conf. Pure; golden-tested.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/image/oci.h"
#include "agent/image/rootfs_mount.h"

namespace spacelet::agent::bundle {

struct SpaceInfo {
  std::string id;  // "author/name"
  std::string title;
  std::string host;  // SPACE_HOST, e.g. "author-name.spaces.example"
  int appPort = 7860;
  std::string sdk;  // gradio, streamlit, static, docker
  std::map<std::string, std::string> variables;
  std::map<std::string, std::string> secrets;
};

struct FlavorInfo {
  std::string name = "cpu-basic";
  double cpus = 2;
  int64_t memoryBytes = int64_t{16} << 30;
  int64_t pids = 4096;
  std::string accelerator;  // ACCELERATOR for GPU flavors; empty otherwise
};

struct BundleSettings {
  image::IdRange ids;   // the Space's host id range
  uint32_t uid = 1000;  // inside the container
  uint32_t gid = 1000;
  int64_t tmpBytes = int64_t{1} << 30;  // size cap of /tmp (spaces.tmp_size)
  std::string rootfs = "rootfs";        // root.path
  std::string appSource;                // host path bound rw at /app
  std::string homeSource;               // host path bound rw at /home/user
  std::string cgroupsPath;
  std::string netnsPath;  // the Space's network namespace; empty: a new one
  // A host file bound read-only at /etc/resolv.conf (the node's resolver, as the Space's
  // network gives it); empty: the image's own.
  std::string resolvConfSource;
  std::string hostname;
};

// "16Gi", "15Gi", "512Mi": how MEMORY and error messages show a byte count.
std::string memoryText(int64_t bytes);

nlohmann::json bundleConfig(const image::ImageConfig& image, const SpaceInfo& space,
                            const FlavorInfo& flavor, const BundleSettings& settings);

// The process environment alone (exposed for tests): image Env, then SPACE_*, SYSTEM,
// CPU_CORES, MEMORY, HOME, the SDK's variables, the Space's variables, then its secrets.
std::vector<std::string> spaceEnvironment(const image::ImageConfig& image, const SpaceInfo& space,
                                          const FlavorInfo& flavor);

}  // namespace spacelet::agent::bundle
