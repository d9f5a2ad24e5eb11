// The CDI spec spacelet writes for an NVIDIA node when it has none (`spacectl gpu
// generate-cdi`): one device per GPU named by its minor ("0", "1", ...) and annotated with
// model and uuid, an "all" device for podman users, and the shared edits (control nodes, the
// driver's libraries and binaries, bind-mounted read-only at the paths the dynamic linker and
// PATH look in). Generation is pure (Discovery → JSON); writeSpec() is the thin apply step.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "agent/gpu/discovery.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::gpu {

struct GenerateOptions {
  std::string kind = "nvidia.com/gpu";
};

// The spec declares cdiVersion 0.6.0, the oldest that has annotations, so that older CDI
// consumers (podman 4 on Debian 12) read it too. Fails when no GPU was discovered.
Result<nlohmann::json> generateSpec(const Discovery& discovery, const GenerateOptions& options);

// Writes `spec` as dir/fileName atomically (temp file, fsync, rename), creating dir (0755).
// /var/run/cdi is the place for a generated spec: it is redone at boot, as majors can change.
Result<void> writeSpec(const nlohmann::json& spec, const std::string& dir,
                       const std::string& fileName = "spacelet-nvidia.json");

}  // namespace spacelet::agent::gpu
