// spacectl gpu generate-cdi: writes the CDI spec of this node's NVIDIA GPUs, as
// `nvidia-ctk cdi generate` would, for nodes that have the driver but no spec. It runs here,
// not through the agent: it reads this machine's /dev, /proc and ld.so.cache, like
// nvidia-ctk. spaceletd reads the specs when it starts (see docs/gpu.md).
#include "agent/cli/commands_list.h"
#include "agent/gpu/cdi_generate.h"

namespace spacelet::agent::cli {
namespace {

int generateCdi(Context& ctx, const ParsedArgs& a) {
  gpu::DiscoveryOptions options;
  options.devDir = a.get("--dev-dir", options.devDir);
  options.procDir = a.get("--proc-dir", options.procDir);
  auto found = gpu::discover(options);
  if (!found) return reportError(ctx, found.error());
  for (const auto& w : found->warnings) ctx.err << "spacectl: warning: " << w << "\n";
  auto spec = gpu::generateSpec(*found, {a.get("--kind", "nvidia.com/gpu")});
  if (!spec) return reportError(ctx, spec.error());
  if (a.has("--stdout")) {
    ctx.out << spec->dump(2) << "\n";
    return kExitOk;
  }
  std::string dir = a.get("--dir", "/var/run/cdi");
  if (auto written = gpu::writeSpec(*spec, dir); !written) return reportError(ctx, written.error());
  if (ctx.json) {
    ctx.out << nlohmann::json{{"file", dir + "/spacelet-nvidia.json"},
                              {"gpus", found->gpus.size()},
                              {"driver_version", found->driverVersion}}
                   .dump()
            << "\n";
    return kExitOk;
  }
  ctx.out << "wrote " << dir << "/spacelet-nvidia.json: " << found->gpus.size() << " GPU(s), "
          << found->controlNodes.size() << " control node(s), " << found->libraries.size()
          << " driver librar" << (found->libraries.size() == 1 ? "y" : "ies") << ", "
          << found->binaries.size() << " tool(s); restart spaceletd to use it\n";
  return kExitOk;
}

}  // namespace

std::vector<Command> gpuCommands() {
  return {
      {"gpu generate-cdi",
       "",
       "Write the CDI spec of this node's NVIDIA GPUs (runs here, as root; not via the agent).",
       "Reads the device nodes, /proc/devices, /proc/driver/nvidia and the driver's libraries\n"
       "from /etc/ld.so.cache, and writes DIR/spacelet-nvidia.json. Restart spaceletd (the\n"
       "Spaces keep running) so that it reads the new spec.",
       {{"--dir", "", "DIR", "where to write the spec (default /var/run/cdi)"},
        {"--kind", "", "K", "the CDI kind of the devices (default nvidia.com/gpu)"},
        {"--stdout", "", "", "print the spec instead of writing it"},
        {"--dev-dir", "", "DIR", "the device directory to scan (default /dev)"},
        {"--proc-dir", "", "DIR", "the proc filesystem to read (default /proc)"}},
       0,
       0,
       generateCdi},
  };
}

}  // namespace spacelet::agent::cli
