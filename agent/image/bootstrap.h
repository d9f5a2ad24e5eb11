// `spacectl image bootstrap`: base images made on a node without a registry. The minimal
// one is busybox-static with its applets, root and user 1000 (it also serves static Spaces);
// the Python one is Debian made with debootstrap from Debian's archive (python3, pip, venv,
// git), cached in the store under its name so a second bootstrap is instant.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/image/image_store.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::image {

struct BootstrapOptions {
  std::string busyboxPath = "/bin/busybox";
  std::string busyboxName = "spacelet/busybox:latest";
  std::string debootstrap = "debootstrap";
  std::string suite = "bookworm";
  std::string mirror = "http://deb.debian.org/debian";
  std::vector<std::string> pythonPackages = {"python3", "python3-pip", "python3-venv", "git",
                                             "ca-certificates"};
  std::string pythonName = "spacelet/python:3.11";
  bool force = false;  // rebuild even when the image exists
  std::function<void(std::string_view)> progress = [](std::string_view) {};
};

Result<Image> bootstrapBusybox(ImageStore& store, const BootstrapOptions& options);
Result<Image> bootstrapPython(ImageStore& store, const BootstrapOptions& options);

}  // namespace spacelet::agent::image
