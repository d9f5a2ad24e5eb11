// The state of one build stage as its instructions are applied, and the pure part of the
// builder: splitting a Dockerfile into stages, ARG scoping, variable lookup, and applying
// the instructions that only change the image config (ENV, LABEL, USER, CMD, ...).
// Unit-tested without root.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/build/dockerfile.h"
#include "agent/build/shell_words.h"
#include "agent/image/oci.h"

namespace spacelet::agent::build {

struct StageState {
  std::string name;  // the AS name, or the stage index as text
  std::vector<image::Descriptor> layers;
  image::ImageConfig config;
  std::map<std::string, std::string> args;  // ARGs in scope with their values
  std::string cacheKey;                     // the rolling cache key after the last step
};

// One stage: its FROM and the instructions after it.
struct StagePlan {
  std::string name;
  int index = 0;
  std::string base;  // the FROM image reference after expansion ("scratch", a stage name)
  const Instruction* from = nullptr;
  std::vector<const Instruction*> steps;
};

struct BuildPlan {
  std::vector<StagePlan> stages;
  std::map<std::string, std::string> globalArgs;  // ARGs before the first FROM
  size_t target = 0;                              // the stage that becomes the image
  std::vector<size_t> needed;                     // stages to build, in order
};

// Splits the Dockerfile into stages, expands FROM with the global ARGs, finds the target
// and the stages it depends on (FROM <stage>, COPY --from=<stage>).
Result<BuildPlan> planStages(const Dockerfile& df,
                             const std::map<std::string, std::string>& buildArgs,
                             const std::string& target);

// Variables visible to word expansion in a stage: ENV first, then ARGs.
VarLookup stageVars(const StageState& state);

// The environment a RUN step sees: the image's Env plus the ARGs in scope.
std::vector<std::string> runEnvironment(const StageState& state);

// Applies ENV, ARG, LABEL, MAINTAINER, USER, EXPOSE, CMD, ENTRYPOINT, SHELL, HEALTHCHECK,
// VOLUME, STOPSIGNAL and the config part of WORKDIR. Returns false for instructions that
// need the filesystem (RUN, COPY, ADD).
Result<bool> applyConfigInstruction(const Instruction& ins, char escape,
                                    const std::map<std::string, std::string>& buildArgs,
                                    StageState& state);

// Expands one word of an instruction in the stage's variables, naming the instruction on error.
Result<std::string> expandIn(const Instruction& ins, const std::string& raw, char escape,
                             const StageState& state);

// The shell a shell-form RUN/CMD/ENTRYPOINT uses: SHELL, or /bin/sh -c.
std::vector<std::string> shellOf(const StageState& state);

// Resolves a WORKDIR or COPY destination against the current WORKDIR.
std::string absoluteIn(const std::string& workingDir, const std::string& path);

}  // namespace spacelet::agent::build
