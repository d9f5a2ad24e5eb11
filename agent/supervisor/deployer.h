// One deployment, run on a worker thread as a list of named steps:
//   1 export the commit   2 read its config   3 build (its RUN steps in a network of their
//   own with the Space's egress rule, released when the build ends)   4 bundle (with the
//   Space's env, flavor limits and decision 8's defaults)   5 attach its network   6 start the
//   container under its monitor   7 probe health
// Switching traffic and stopping the old deployment are the supervisor's (they need the old
// one). Jobs that reuse a build (restart, rollback, resume) start at step 4. Each step's
// failure names it; the log tail goes with build and start failures.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>

#include "agent/build/builder.h"
#include "agent/build/recipes.h"
#include "agent/config/config.h"
#include "agent/daemon/cgroup_placement.h"
#include "agent/git/space_config.h"
#include "agent/git/tree_export.h"
#include "agent/gpu/cdi_registry.h"
#include "agent/gpu/inventory.h"
#include "agent/image/image_store.h"
#include "agent/supervisor/deploy_queue.h"
#include "agent/supervisor/deployment.h"
#include "agent/supervisor/instance.h"
#include "agent/supervisor/stages.h"
#include "spacelet/netpolicy/net_policy.h"

namespace spacelet::agent::supervisor {

// What every deployment shares. The pointers are owned by the supervisor and outlive workers;
// ImageStore and NetPolicy are safe to use from several threads.
struct NodeServices {
  std::string stateDir;
  image::ImageStore* images = nullptr;
  build::BuilderSettings builder;
  build::RecipeSettings recipes;
  std::string wheelhouse;      // the node's local wheels ("wheelhouse" named context); may be empty
  std::string aptSourcesFile;  // builds.apt_sources: a sources.list the recipes use; may be empty
  std::string aptRepository;   // the node's local apt repository ("aptrepository" context)
  std::chrono::seconds buildTimeout{3600};
  double buildCpus = 0;           // builds.cpus; 0: the Space's flavor
  uint64_t buildMemoryBytes = 0;  // builds.memory; 0: the Space's flavor
  bool buildNetwork = true;       // builds.network; false ("none"): RUN steps get loopback only
  netpolicy::NetPolicy* network = nullptr;
  std::string nodeNetns;  // where the Spaces' veths are (probes connect from there)
  RunnerSettings runner;
  daemon::CgroupPlacement cgroups;  // where Space containers' cgroups go
  std::string domain = "localhost";
  git::ExportLimits exportLimits;
  std::counting_semaphore<64>* buildSlots = nullptr;  // builds.max_concurrent
  // One maker of the node's base image at a time: two first builds racing would each make
  // one, and the second (new file times, new digest) would void the first's build cache.
  std::shared_ptr<std::mutex> baseImageLock = std::make_shared<std::mutex>();
  // Makes sure the node's nftables table exists before the first attach (the supervisor
  // reconciles lazily, so an agent that never deploys leaves nftables alone).
  std::function<Result<void>()> networkReady;
  // Before each build: prunes above the disk high watermark, and fails ("disk full") when the
  // image store is still above it. Unset: no check.
  std::function<Result<void>()> makeRoomForBuild;
  size_t logTailLines = 20;
};

// The Space as it was when the job started (copied on the loop thread).
struct SpaceSnapshot {
  store::SpaceId id;
  std::string sdk;     // as created; the README may override
  std::string source;  // upstream URL[#branch]; "" for pushed repositories
  std::string flavorName;
  config::Flavor flavor;
  std::map<std::string, std::string> variables;
  std::map<std::string, std::string> secrets;
  image::IdRange ids;
  std::vector<gpu::Gpu> gpus;  // granted for this deployment (none for CPU flavors)
  std::shared_ptr<const gpu::cdi::Registry> cdi;  // where the granted GPUs' edits are
};

struct DeployRequest {
  SpaceSnapshot space;
  Job job;
  Deployment record;  // seq assigned; reuse jobs carry the build's fields
  std::function<void(const Deployment&)> onRecord;  // called (on the worker) at each change
  std::function<void(Step)> onStep;                 // the deployment reached build or start
  const std::atomic<bool>* cancelled = nullptr;
};

struct Started {
  std::unique_ptr<Instance> instance;
  std::string backend;  // "ip:port" the proxy forwards to
};

class Deployer {
 public:
  Deployer(const NodeServices& node, DeployRequest request)
      : node_(node), req_(std::move(request)), record_(req_.record) {}

  // Runs the steps. On failure, `failure()` says which stage it is and `record()` has the
  // error; everything the deployment made (container, network, bundle) is taken down.
  Result<Started> run();
  Failure failure() const { return failure_; }
  const Deployment& record() const { return record_; }

 private:
  Result<void> resolveCommit();
  Result<void> exportCommit();
  Result<git::SpaceConfig> readConfig();
  void ensureBaseImage();
  Result<void> buildImage(const git::SpaceConfig& config);
  Result<std::string> dockerfileFor(const git::SpaceConfig& config);
  Result<build::BuildResult> runBuild(build::BuildOptions options);
  Result<build::BuildNetwork> attachBuildNetwork();
  void releaseBuildNetwork();
  Result<image::Image> builtImage();
  Result<void> makeBundle(const image::Image& image, const netpolicy::SpaceNetwork& net);
  Result<netpolicy::SpaceNetwork> attachNetwork();
  Result<Started> startAndProbe(const netpolicy::SpaceNetwork& net);
  Unexpected failWith(Failure failure, Error error);
  void buildLog(std::string_view line);
  void cleanUp();
  void changed();

  const NodeServices& node_;
  DeployRequest req_;
  Deployment record_;
  Failure failure_ = Failure::kBuild;
  std::optional<monitor::LogWriter> buildLog_;
  bool bundleMade_ = false;
  bool networkAttached_ = false;
  bool buildNetworkAttached_ = false;
};

}  // namespace spacelet::agent::supervisor
