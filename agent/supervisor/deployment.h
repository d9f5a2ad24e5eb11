// A Space's deployments: each one a commit (or an earlier deployment's build, for rollbacks)
// taken through build, start and switch, with its times, result and logs. The history is one
// JSON file per Space, rewritten atomically at every change, so that after `kill -9` the agent
// knows which deployment serves, which was half-way and which builds can be rolled back to.
// Pure codec and queries; thin load/save.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spacelet/base/error.h"

namespace spacelet::agent::supervisor {

enum class Outcome {
  kBuilding,  // in progress: export, config, build
  kStarting,  // in progress: bundle, network, container, health probe
  kServing,   // receives the Space's traffic
  kFailed,    // never served (stage and error say why)
  kReplaced,  // served, then a newer deployment took over (its build may be rolled back to)
  kStopped,   // served, then was stopped (pause, delete, crash loop given up)
};

std::string_view outcomeName(Outcome outcome);

struct Deployment {
  int64_t seq = 0;
  std::string sha;
  std::string summary;  // the commit's first line
  std::string job;      // "deploy", "restart", "rollback", "resume"
  std::string reason;   // "push", "secret 'TOKEN' set", "rollback to #3", ...
  Outcome outcome = Outcome::kBuilding;
  std::string failedStage;  // CONFIG_ERROR, NO_APP_FILE, BUILD_ERROR, RUNTIME_ERROR
  std::string error;        // what went wrong, with the log's tail
  int64_t buildSeq = 0;     // the deployment whose build this one runs (itself when it built)
  std::string image;        // the built image (manifest digest)
  std::string sdk;
  int appPort = 7860;
  int64_t startupTimeoutSeconds = 1800;
  std::string title;
  std::string hardware;           // the flavor it runs with
  std::vector<std::string> gpus;  // the GPUs granted to it (qualified CDI names)
  std::string containerId;
  std::string address;  // the app's address (host:port) while it runs
  int64_t createdAtMs = 0;
  int64_t builtAtMs = 0;
  int64_t servingAtMs = 0;
  int64_t endedAtMs = 0;

  bool operator==(const Deployment&) const = default;
};

class DeploymentHistory {
 public:
  // Keeps the newest `retain` records (the serving one and its build are always kept).
  explicit DeploymentHistory(size_t retain = 20) : retain_(retain) {}

  static Result<DeploymentHistory> load(const std::string& path, size_t retain);
  Result<void> save(const std::string& path) const;
  std::string toJson() const;
  static Result<DeploymentHistory> fromJson(std::string_view text, size_t retain);

  // A new record with the next sequence number.
  Deployment& add(Deployment deployment);
  Deployment* find(int64_t seq);
  const Deployment* find(int64_t seq) const;
  Deployment* serving();
  const Deployment* serving() const;
  // Records still marked building or starting (interrupted by an agent restart).
  std::vector<Deployment*> inProgress();
  // The newest deployment of `sha` (a prefix of at least 7 characters) that built and served:
  // what `spacectl rollback` redeploys.
  const Deployment* rollbackTarget(std::string_view sha) const;
  const std::vector<Deployment>& all() const { return records_; }
  int64_t lastSeq() const { return lastSeq_; }
  // Sequence numbers of records dropped by retention since the last call: their directories
  // (bundle, logs) and images can go.
  std::vector<int64_t> takeDropped() { return std::exchange(dropped_, {}); }

 private:
  void trim();
  size_t retain_;
  std::vector<int64_t> dropped_;
  int64_t lastSeq_ = 0;
  std::vector<Deployment> records_;  // oldest first
};

}  // namespace spacelet::agent::supervisor
