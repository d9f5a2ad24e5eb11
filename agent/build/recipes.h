// The Hugging Face SDKs as recipes on the builder: each SDK (gradio, streamlit, static)
// becomes a generated Dockerfile; the docker SDK uses the repository's own. What a recipe
// installs from and where (PyPI index or a local wheelhouse, apt sources, the base image per
// SDK) comes from the node's settings, so nodes without PyPI can build. Pure; golden-tested.
#pragma once

#include <string>
#include <vector>

#include "spacelet/base/error.h"

namespace spacelet::agent::build {

// Node settings for recipes (agent config: build.recipes.*).
struct RecipeSettings {
  std::string gradioBase = "spacelet/python:3.11";
  std::string streamlitBase = "spacelet/python:3.11";
  std::string staticBase = "spacelet/busybox:latest";
  std::string pipIndexUrl;     // empty: pip's default (PyPI)
  bool useWheelhouse = false;  // install only from the "wheelhouse" named context
  std::string aptSources;      // replaces /etc/apt/sources.list when set
  // packages.txt installs with the node's local apt repository (the "aptrepository" named
  // context) bound read-only at /apt-repository, for sources like
  // `deb [trusted=yes] file:/apt-repository ./`.
  bool useAptRepository = false;
};

// What the Space's repository and README front matter say.
struct RecipeInputs {
  std::string sdk;         // gradio, streamlit, static, docker
  std::string sdkVersion;  // e.g. "4.44.0"; empty: the newest the index has
  std::string appFile = "app.py";
  int appPort = 7860;
  std::string appBuildCommand;  // static only
  bool hasPackagesTxt = false;
  bool hasPreRequirements = false;
  bool hasRequirements = false;
};

// The Dockerfile for a gradio, streamlit or static Space. For the docker SDK, refuses: the
// caller builds the repository's own Dockerfile.
Result<std::string> recipeDockerfile(const RecipeInputs& inputs, const RecipeSettings& settings);

// The port the app serves on, as the SDK fixes it (streamlit: 8501) or app_port says.
int recipePort(const RecipeInputs& inputs);

}  // namespace spacelet::agent::build
