// libFuzzer target: the Dockerfile parser and everything pure that runs on its output
// (describe, stage planning with build args, config instructions, .dockerignore). Any crash,
// sanitizer report or exception escaping is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/build/dockerfile.h"
#include "agent/build/dockerignore.h"
#include "agent/build/stage.h"

using namespace spacelet::agent::build;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)DockerIgnore::parse(text);
  auto df = parseDockerfile(text);
  if (!df) return 0;
  (void)describe(*df);
  auto plan = planStages(*df, {{"BASE", "busybox"}, {"V", "1"}}, "");
  if (!plan) return 0;
  for (const auto& stage : plan->stages) {
    StageState state;
    for (const Instruction* ins : stage.steps)
      (void)applyConfigInstruction(*ins, df->escape, {}, state);
    (void)runEnvironment(state);
  }
  return 0;
}
