// spacelet-gpu-tool: the agent/gpu library from the command line, for tests/gpu/check.sh on a
// machine with an NVIDIA GPU (until `spacectl gpu generate-cdi` and the agent's grant path
// exist, this is how the check drives the same code).
//   spacelet-gpu-tool generate-cdi --dir DIR       discover the host's GPUs, write
//   DIR/spacelet-nvidia.json spacelet-gpu-tool inventory DIR...             list the GPUs the CDI
//   specs in DIR... describe spacelet-gpu-tool grant CONFIG COUNT [MODEL] DIR...
//                                                  allocate COUNT GPUs and apply them to CONFIG
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "agent/gpu/allocator.h"
#include "agent/gpu/cdi_generate.h"
#include "agent/gpu/grant.h"

namespace gpu = spacelet::agent::gpu;

namespace {

int failWith(const std::string& message) {
  std::cerr << "spacelet-gpu-tool: " << message << "\n";
  return 1;
}

gpu::cdi::Registry loadDirs(const std::vector<std::string>& dirs) {
  auto registry = gpu::cdi::loadRegistry({dirs});
  for (const auto& p : registry.problems()) {
    std::cerr << "skipped CDI spec " << p.file << ": " << p.message << "\n";
  }
  return registry;
}

// What the host driver says about each GPU (model, uuid), when it is loaded.
std::map<std::string, gpu::HostGpu> hostGpus() {
  auto found = gpu::discover({});
  return found ? found->hostGpus : std::map<std::string, gpu::HostGpu>{};
}

int generate(const std::string& dir) {
  auto found = gpu::discover({});
  if (!found) return failWith(found.error().message);
  for (const auto& w : found->warnings) std::cerr << "warning: " << w << "\n";
  auto spec = gpu::generateSpec(*found, {});
  if (!spec) return failWith(spec.error().message);
  auto written = gpu::writeSpec(*spec, dir);
  if (!written) return failWith(written.error().message);
  std::cout << "wrote " << dir << "/spacelet-nvidia.json: " << found->gpus.size() << " GPU(s), "
            << found->controlNodes.size() << " control node(s), " << found->libraries.size()
            << " librar(ies), " << found->binaries.size() << " binar(ies)\n";
  return 0;
}

int inventory(const std::vector<std::string>& dirs) {
  auto gpus = gpu::buildInventory(loadDirs(dirs), hostGpus());
  for (const auto& g : gpus) std::cout << g.name << "\t" << g.model << "\t" << g.uuid << "\n";
  return gpus.empty() ? 1 : 0;
}

int grant(const std::string& configPath, unsigned count, const std::string& model,
          const std::vector<std::string>& dirs) {
  auto registry = loadDirs(dirs);
  auto gpus = gpu::buildInventory(registry, hostGpus());
  auto decision = gpu::allocate(gpus, {}, {"check/space", count, "nvidia.com/gpu", model});
  if (!decision) return failWith(decision.error().message);
  if (!decision->granted) return failWith(decision->reason);
  std::vector<gpu::Gpu> granted;
  for (const auto& g : gpus) {
    for (const auto& name : decision->gpus)
      if (g.name == name) granted.push_back(g);
  }
  std::ifstream in(configPath);
  auto config = nlohmann::json::parse(in);
  auto applied = gpu::applyGrant(config, registry, granted, {model, gpu::hostStat()});
  if (!applied) return failWith(applied.error().message);
  std::ofstream(configPath) << config.dump(2) << "\n";
  for (const auto& g : granted) std::cout << "granted " << g.name << " (" << g.model << ")\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 2 && args[0] == "generate-cdi") return generate(args[1]);
  if (args.size() == 3 && args[0] == "generate-cdi" && args[1] == "--dir") return generate(args[2]);
  if (args.size() >= 2 && args[0] == "inventory") return inventory({args.begin() + 1, args.end()});
  if (args.size() >= 4 && args[0] == "grant") {
    char* end = nullptr;
    unsigned long count = std::strtoul(args[2].c_str(), &end, 10);
    if (*end != '\0') return failWith("COUNT '" + args[2] + "' is not a number");
    bool hasModel = args.size() >= 5 && args[3].find('/') == std::string::npos;
    std::vector<std::string> dirs(args.begin() + (hasModel ? 4 : 3), args.end());
    return grant(args[1], static_cast<unsigned>(count), hasModel ? args[3] : "", dirs);
  }
  std::cerr << "usage: spacelet-gpu-tool generate-cdi --dir DIR\n"
               "       spacelet-gpu-tool inventory CDI_DIR...\n"
               "       spacelet-gpu-tool grant CONFIG COUNT [MODEL] CDI_DIR...\n";
  return 2;
}
