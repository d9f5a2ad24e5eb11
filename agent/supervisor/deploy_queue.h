// One Space's queue of deployment work. At most one job runs at a time; while it runs, new
// requests coalesce into a single pending job so that the newest commit is built next and a
// stale one never is: a newer push replaces an older pending push, a factory rebuild keeps
// "no cache" whatever arrives after it, a config restart or crash recovery is absorbed by a
// pending build (that build restarts the app anyway), a rollback replaces pending pushes, and a
// stop replaces whatever was pending (and is replaced by what comes after it). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spacelet::agent::supervisor {

enum class JobKind {
  kDeploy,    // build and deploy a commit (a push, an upstream fetch, agent start)
  kRestart,   // run the serving build again with the current config (secrets, hardware...)
  kRollback,  // deploy an earlier good deployment's build, without building
  kResume,    // start the serving build after a pause
  kRecover,   // start a new instance of the serving deployment after its app crashed
  kStop,      // stop the app and keep it stopped (pause, delete)
};

std::string_view jobKindName(JobKind kind);

struct Job {
  JobKind kind = JobKind::kDeploy;
  std::string sha;       // kDeploy: the commit ("" = the branch tip when the job starts)
  bool noCache = false;  // kDeploy: restart --factory
  int64_t fromSeq = 0;   // kRollback: the deployment whose build is reused
  std::string reason;    // for the log and events: "push", "secret 'TOKEN' set", ...

  bool operator==(const Job&) const = default;
};

class DeployQueue {
 public:
  // Adds a request, coalescing it with the pending one.
  void push(Job job);
  // The job to run now, if none is running; marks it running.
  std::optional<Job> take();
  // The running job ended; take() may hand out the pending one.
  void finished() { running_ = false; }

  bool running() const { return running_; }
  const std::optional<Job>& pending() const { return pending_; }
  // Drops the pending job (pause, delete).
  void clearPending() { pending_.reset(); }

 private:
  static Job merge(const Job& pending, Job incoming);
  std::optional<Job> pending_;
  bool running_ = false;
};

}  // namespace spacelet::agent::supervisor
