// The node's images behind the API's ImageService: list and remove on the loop thread, and
// one long job at a time (import, bootstrap, prune, the disk watermark check) on a worker
// thread whose progress comes back through EventLoop::post(). Which images Spaces use comes
// from their deployment histories (building, starting and serving deployments), and the
// recipes' configured base images count as used so that pruning never removes them.
// Thread-safety: the loop thread, like every ImageService.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "agent/api/image_service.h"
#include "agent/config/config.h"
#include "agent/daemon/event_loop.h"
#include "agent/image/image_store.h"
#include "agent/store/space_registry.h"

namespace spacelet::agent::supervisor {

struct NodeImagesOptions {
  std::string stateDir;
  std::string cacheRoot;  // the builder's cache records (roots of garbage collection)
  std::function<std::shared_ptr<const config::Config>()> config;
  std::chrono::seconds watermarkEvery{60};
};

// Image name or manifest digest -> the Spaces whose deployments use it. Reads each Space's
// deployments.json; safe on any thread.
std::map<std::string, std::set<std::string>> imagesUsedBySpaces(
    const std::string& stateDir, const std::vector<store::SpaceId>& spaces);

class NodeImages : public api::ImageService {
 public:
  NodeImages(image::ImageStore& store, NodeImagesOptions options, daemon::EventLoop& loop,
             store::SpaceRegistry& registry);
  // Waits for a running job to end.
  ~NodeImages() override;

  // Starts the periodic disk watermark check.
  Result<void> startWatermarkTimer();

  Result<nlohmann::json> list() override;
  Result<nlohmann::json> remove(const std::string& ref) override;
  Result<void> start(const api::ImageJob& job, Progress progress, Done done) override;

 private:
  using Work = std::function<Result<nlohmann::json>(const Progress& progress)>;
  Result<void> run(std::string what, Work work, Progress progress, Done done);
  Work workFor(const api::ImageJob& job);
  std::vector<store::SpaceId> spaceIds() const;
  std::set<std::string> keptImages() const;  // used by Spaces, and the recipes' bases
  void checkWatermarks();

  image::ImageStore& store_;
  NodeImagesOptions options_;
  daemon::EventLoop& loop_;
  store::SpaceRegistry& registry_;
  std::thread worker_;
  // What the running job does ("" when none runs); shared with the job's last posted call.
  std::shared_ptr<std::string> running_;
  daemon::Source watermarkTimer_;
};

}  // namespace spacelet::agent::supervisor
