// OCI image-spec types that the store, the builder and the bundle generator share: blob
// descriptors, manifests, and the image config (with the runtime part: Env, User, Cmd, ...).
// JSON conversion catches nlohmann's exceptions where they are thrown and returns Errors.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/image/digest.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::image {

inline constexpr const char* kMediaTypeManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kMediaTypeIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kMediaTypeConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kMediaTypeLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* kMediaTypeLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kMediaTypeLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr const char* kMediaTypeDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kAnnotationRefName = "org.opencontainers.image.ref.name";

struct Descriptor {
  std::string mediaType;
  Digest digest;
  int64_t size = 0;
  std::map<std::string, std::string> annotations;
};

struct Manifest {
  Descriptor config;
  std::vector<Descriptor> layers;
};

// The "config" member of an image config: what a container started from the image runs.
struct RuntimeConfig {
  std::string user;
  std::vector<std::string> env;  // "KEY=value", in order
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string workingDir;
  std::set<std::string> exposedPorts;  // "7860/tcp"
  std::map<std::string, std::string> labels;
  std::set<std::string> volumes;
  std::string stopSignal;
  std::vector<std::string> shell;          // SHELL (Docker extension), empty: /bin/sh -c
  std::optional<std::string> healthcheck;  // JSON text of Docker's Healthcheck object
  bool operator==(const RuntimeConfig&) const = default;
};

struct HistoryEntry {
  std::string createdBy;
  bool emptyLayer = false;
};

struct ImageConfig {
  std::string architecture = "amd64";
  std::string os = "linux";
  std::string created;  // RFC 3339; empty keeps builds reproducible
  RuntimeConfig config;
  std::vector<Digest> diffIds;  // sha256 of each uncompressed layer, bottom first
  std::vector<HistoryEntry> history;
};

std::string toJson(const Descriptor& d);
std::string toJson(const Manifest& m);
std::string toJson(const ImageConfig& c);
Result<Descriptor> parseDescriptor(const std::string& json);
Result<Manifest> parseManifest(const std::string& json);
Result<ImageConfig> parseImageConfig(const std::string& json);

// Returns the value of KEY in a "KEY=value" list, or nullopt.
std::optional<std::string> envLookup(const std::vector<std::string>& env, const std::string& key);
// Sets KEY=value, replacing an earlier KEY while keeping its position.
void envSet(std::vector<std::string>& env, const std::string& key, const std::string& value);

}  // namespace spacelet::agent::image
