// What one build carries from step to step (private to agent/build): the parsed Dockerfile,
// the plan, the context, the cache, the scratch directory, the user namespace, the log with
// secrets redacted, and the state of every stage built so far.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "agent/build/build_cache.h"
#include "agent/build/build_context.h"
#include "agent/build/builder.h"
#include "agent/build/dockerfile.h"
#include "agent/build/stage.h"
#include "agent/image/image_store.h"
#include "agent/image/rootfs_mount.h"

namespace spacelet::agent::build {

struct BuildRun {
  image::ImageStore& store;
  const BuilderSettings& settings;
  const BuildOptions& options;
  Dockerfile dockerfile;
  BuildPlan plan;
  BuildContext context;
  BuildCache cache;
  std::string scratch;  // <workRoot>/<id>, removed when the build ends
  UniqueFd userns;
  std::map<size_t, StageState> stages;
  int step = 0;
  int totalSteps = 0;
  int cacheHits = 0;

  // Logs one line with every secret value replaced by '****'.
  void log(std::string_view line) const;
  const BuildLogSink& sink;
};

// The overlay root of one filesystem step: the stage's layers below, a fresh upper dir.
// Unmounts when destroyed.
class StepRoot {
 public:
  static Result<StepRoot> mount(BuildRun& run, const StageState& state, const std::string& name);
  const std::string& path() const { return rootfs_; }
  const std::string& upper() const { return upper_; }
  const std::string& dir() const { return dir_; }
  int fd() const { return fd_.get(); }
  Result<void> unmount();

 private:
  std::string dir_, rootfs_, upper_;
  image::OverlayMount overlay_;
  UniqueFd fd_;
};

// Runs a step that changes files: a cache hit reuses the recorded layer; otherwise
// `action` runs on a fresh StepRoot and the upper dir becomes the layer.
using FsAction = std::function<Result<void>(StepRoot&)>;
Result<void> filesystemStep(BuildRun& run, StageState& state, const Instruction& ins,
                            const std::string& key, const FsAction& action);

// The steps that need the filesystem.
Result<void> runStep(BuildRun& run, StageState& state, const Instruction& ins);
Result<void> copyStep(BuildRun& run, StageState& state, const Instruction& ins);
Result<void> workdirStep(BuildRun& run, StageState& state, const Instruction& ins);

// The cache key of a step: parent key, instruction text, heredocs, ARGs in scope, extra.
std::string stepKey(const StageState& state, const Instruction& ins, const std::string& extra);

}  // namespace spacelet::agent::build
