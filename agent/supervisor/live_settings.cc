// NodeServices as of the current configuration (see live_settings.h).
#include "agent/supervisor/live_settings.h"

namespace spacelet::agent::supervisor {

NodeServices withLiveSettings(NodeServices node, const config::Config& c) {
  const config::Builds& b = c.builds;
  node.recipes.gradioBase = b.baseImageGradio;
  node.recipes.streamlitBase = b.baseImageStreamlit;
  node.recipes.staticBase = b.baseImageStatic;
  node.recipes.pipIndexUrl = b.pipIndexUrl;
  node.recipes.useWheelhouse = !b.wheelhouse.empty();
  node.recipes.useAptRepository = !b.aptRepository.empty();
  node.wheelhouse = b.wheelhouse;
  node.aptSourcesFile = b.aptSources;
  node.aptRepository = b.aptRepository;
  node.buildTimeout = std::chrono::seconds(b.timeoutSeconds);
  node.buildCpus = b.cpus;
  node.buildMemoryBytes = b.memoryBytes;
  node.buildNetwork = b.network != "none";
  node.runner.logLimits.maxBytes = c.logs.maxFileBytes;
  node.runner.logLimits.keep = static_cast<int>(c.logs.maxFiles);
  node.runner.logLimits.maxLineBytes = c.logs.maxLineBytes;
  return node;
}

}  // namespace spacelet::agent::supervisor
