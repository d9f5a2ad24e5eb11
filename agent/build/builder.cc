// The build orchestrator (see builder.h): parse, plan the stages, then for each needed stage
// resolve its base and apply its steps, logging "Step N/M", cache hits and timings.
#include "agent/build/builder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "agent/build/build_run.h"
#include "agent/image/fs_util.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::build {
namespace {

// Removes the build's scratch directory, whatever happens to the build.
class ScratchDir {
 public:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  ~ScratchDir() {
    auto parent = openAt(AT_FDCWD, path_.substr(0, path_.rfind('/')), O_RDONLY | O_DIRECTORY);
    if (parent) (void)image::removeTreeAt(parent->get(), path_.substr(path_.rfind('/') + 1));
  }

 private:
  std::string path_;
};

Result<StageState> baseState(BuildRun& run, const StagePlan& stage) {
  StageState state;
  state.name = stage.name;
  if (stage.base == "scratch") {
    state.cacheKey = chainKey("", {"scratch"});
    return state;
  }
  for (const auto& [index, built] : run.stages) {
    if (run.plan.stages[index].name == stage.base || std::to_string(index) == stage.base) {
      state = built;
      state.name = stage.name;
      state.args.clear();
      return state;
    }
  }
  auto image = run.store.get(stage.base);
  if (!image) return fail(std::move(image).error().withContext(stage.from->where()));
  state.layers = image->manifest.layers;
  state.config = image->config;
  state.cacheKey = chainKey("", {image->manifestBlob.digest.str()});
  return state;
}

Result<void> applyStep(BuildRun& run, StageState& state, const Instruction& ins) {
  auto configOnly =
      applyConfigInstruction(ins, run.dockerfile.escape, run.options.buildArgs, state);
  if (!configOnly) return fail(std::move(configOnly).error());
  if (*configOnly) {
    state.cacheKey = stepKey(state, ins, "");
    return {};
  }
  if (ins.keyword == "RUN") return runStep(run, state, ins);
  if (ins.keyword == "COPY" || ins.keyword == "ADD") return copyStep(run, state, ins);
  if (ins.keyword == "WORKDIR") return workdirStep(run, state, ins);
  return failInvalid(ins.where() + ": not supported by the builder");
}

std::string stepLine(BuildRun& run, const std::string& text) {
  return "Step " + std::to_string(++run.step) + "/" + std::to_string(run.totalSteps) + " : " + text;
}

Result<void> buildStage(BuildRun& run, size_t index) {
  const StagePlan& stage = run.plan.stages[index];
  run.log(stepLine(run, stage.from->text));
  auto state = baseState(run, stage);
  if (!state) return fail(std::move(state).error());
  for (const Instruction* ins : stage.steps) {
    run.log(stepLine(run, ins->text));
    SPACELET_TRY(applyStep(run, *state, *ins));
  }
  run.stages[index] = std::move(*state);
  return {};
}

Result<void> prepareDirs(const BuilderSettings& settings, const std::string& scratch) {
  // Searchable (not readable) by others: the runtime reaches the step's root filesystem as
  // the build's user-namespaced root, which must be able to walk this path.
  for (const auto& dir : {settings.workRoot, scratch, scratch + "/runtime"}) {
    if (::mkdir(dir.c_str(), 0711) != 0 && errno != EEXIST)
      return failErrno(errno, "create '" + dir + "'");
  }
  return {};
}

Result<void> checkOptions(const BuilderSettings& settings, const BuildOptions& options) {
  if (options.id.empty() || options.id.find_first_of("/. ") != std::string::npos) {
    return failInvalid("build id '" + options.id +
                       "' must be a non-empty name without '/', '.' or spaces");
  }
  if (::access(settings.runtimePath.c_str(), X_OK) != 0) {
    return failErrno(errno, "container runtime '" + settings.runtimePath + "' (build.runtime)");
  }
  return {};
}

}  // namespace

std::string ownCgroup(const std::string& procSelfCgroup) {
  std::istringstream in(procSelfCgroup);
  std::string line, unified, memory;
  while (std::getline(in, line)) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    if (line.starts_with("0::")) unified = path;
    std::istringstream names(controllers);
    for (std::string c; std::getline(names, c, ',');) {
      if (c == "memory") memory = path;
    }
  }
  std::string chosen = !memory.empty() ? memory : unified;
  if (chosen.empty() || chosen == "/") return "";
  return chosen;
}

Result<BuildResult> build(image::ImageStore& store, const BuilderSettings& settings,
                          const BuildOptions& options, const BuildLogSink& log) {
  auto started = std::chrono::steady_clock::now();
  SPACELET_TRY(checkOptions(settings, options));
  auto writing = store.lockWriters();  // layers are unnamed until the final commit
  if (!writing) return fail(std::move(writing).error());
  auto df = parseDockerfile(options.dockerfile);
  if (!df) return fail(std::move(df).error());
  auto context = BuildContext::open(options.contextDir);
  if (!context) return fail(std::move(context).error());
  std::string scratch = settings.workRoot + "/" + options.id;
  SPACELET_TRY(prepareDirs(settings, scratch));
  ScratchDir cleanup(scratch);
  BuildRun run{store,
               settings,
               options,
               std::move(*df),
               {},
               std::move(*context),
               BuildCache(settings.cacheRoot),
               scratch,
               {},
               {},
               0,
               0,
               0,
               log};
  auto plan = planStages(run.dockerfile, options.buildArgs, options.target);
  if (!plan) return fail(std::move(plan).error());
  run.plan = std::move(*plan);
  for (size_t i : run.plan.needed)
    run.totalSteps += 1 + static_cast<int>(run.plan.stages[i].steps.size());
  SPACELET_TRY(run.cache.init());
  auto userns = image::makeUserNamespace(options.ids);
  if (!userns) return fail(std::move(userns).error());
  run.userns = std::move(*userns);
  for (size_t index : run.plan.needed) SPACELET_TRY(buildStage(run, index));
  const StageState& final = run.stages.at(run.plan.target);
  auto image = store.commit(options.tag, final.config, final.layers);
  if (!image) return fail(std::move(image).error());
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  char timing[32];
  std::snprintf(timing, sizeof timing, "%.2fs", elapsed.count() / 1000.0);
  run.log("Successfully built " + image->manifestBlob.digest.str() + " in " + timing + " (" +
          std::to_string(run.cacheHits) + " cached steps)");
  if (!options.tag.empty()) run.log("Successfully tagged " + image->name);
  return BuildResult{std::move(*image), run.step, run.cacheHits, elapsed};
}

}  // namespace spacelet::agent::build
