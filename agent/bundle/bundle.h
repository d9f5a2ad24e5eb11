// Making a Space's OCI bundle on disk: the root filesystem (overlayfs over the image's shared
// layers, idmapped into the Space's host id range, with a per-deployment upper dir owned by
// that range), /app and /home/user owned by the app's user, the Space's resolv.conf (bound
// read-only from the bundle directory), and config.json. The mounts
// outlive the agent (containers do); removeBundle() takes them down.
#pragma once

#include <string>

#include "agent/bundle/bundle_config.h"
#include "agent/gpu/cdi_registry.h"
#include "agent/gpu/inventory.h"
#include "agent/image/image_store.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::bundle {

struct BundleRequest {
  image::Image image;
  SpaceInfo space;
  FlavorInfo flavor;
  BundleSettings settings;  // rootfs, appSource and homeSource are filled in by makeBundle
  std::string dir;          // the bundle directory; created, must not exist
  std::string resolvConf;   // /etc/resolv.conf's text (the Space's network); empty: the image's
  // The GPUs granted to the Space and the CDI registry that describes them (nullptr: none).
  const gpu::cdi::Registry* cdi = nullptr;
  std::vector<gpu::Gpu> gpus;
};

struct Bundle {
  std::string dir;
  std::string rootfs;
  nlohmann::json config;
};

Result<Bundle> makeBundle(image::ImageStore& store, const BundleRequest& request);

// Unmounts the root filesystem and its idmapped layers and removes the directory.
Result<void> removeBundle(const std::string& dir);

}  // namespace spacelet::agent::bundle
