// Deployment history: JSON codec, queries and retention (see deployment.h).
#include "agent/supervisor/deployment.h"

#include <fcntl.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "spacelet/base/file_io.h"

namespace spacelet::agent::supervisor {
namespace {

constexpr std::pair<Outcome, std::string_view> kOutcomes[] = {
    {Outcome::kBuilding, "building"}, {Outcome::kStarting, "starting"},
    {Outcome::kServing, "serving"},   {Outcome::kFailed, "failed"},
    {Outcome::kReplaced, "replaced"}, {Outcome::kStopped, "stopped"},
};

nlohmann::json toJsonRecord(const Deployment& d) {
  nlohmann::json j = {{"seq", d.seq},
                      {"sha", d.sha},
                      {"summary", d.summary},
                      {"job", d.job},
                      {"reason", d.reason},
                      {"outcome", outcomeName(d.outcome)},
                      {"failed_stage", d.failedStage},
                      {"error", d.error},
                      {"build_seq", d.buildSeq},
                      {"image", d.image},
                      {"sdk", d.sdk},
                      {"app_port", d.appPort},
                      {"startup_timeout_s", d.startupTimeoutSeconds},
                      {"title", d.title},
                      {"hardware", d.hardware},
                      {"container_id", d.containerId},
                      {"address", d.address},
                      {"created_at_ms", d.createdAtMs},
                      {"built_at_ms", d.builtAtMs},
                      {"serving_at_ms", d.servingAtMs},
                      {"ended_at_ms", d.endedAtMs}};
  if (!d.gpus.empty()) j["gpus"] = d.gpus;
  return j;
}

Deployment fromJsonRecord(const nlohmann::json& j) {
  Deployment d;
  d.seq = j.at("seq").get<int64_t>();
  d.sha = j.at("sha").get<std::string>();
  d.summary = j.value("summary", "");
  d.job = j.value("job", "deploy");
  d.reason = j.value("reason", "");
  std::string outcome = j.at("outcome").get<std::string>();
  auto it = std::find_if(std::begin(kOutcomes), std::end(kOutcomes),
                         [&](const auto& o) { return o.second == outcome; });
  if (it == std::end(kOutcomes)) throw std::invalid_argument("unknown outcome '" + outcome + "'");
  d.outcome = it->first;
  d.failedStage = j.value("failed_stage", "");
  d.error = j.value("error", "");
  d.buildSeq = j.value("build_seq", int64_t{0});
  d.image = j.value("image", "");
  d.sdk = j.value("sdk", "");
  d.appPort = j.value("app_port", 7860);
  d.startupTimeoutSeconds = j.value("startup_timeout_s", int64_t{1800});
  d.title = j.value("title", "");
  d.hardware = j.value("hardware", "");
  d.gpus = j.value("gpus", std::vector<std::string>{});
  d.containerId = j.value("container_id", "");
  d.address = j.value("address", "");
  d.createdAtMs = j.value("created_at_ms", int64_t{0});
  d.builtAtMs = j.value("built_at_ms", int64_t{0});
  d.servingAtMs = j.value("serving_at_ms", int64_t{0});
  d.endedAtMs = j.value("ended_at_ms", int64_t{0});
  return d;
}

}  // namespace

std::string_view outcomeName(Outcome outcome) {
  for (auto [o, name] : kOutcomes) {
    if (o == outcome) return name;
  }
  return "building";
}

std::string DeploymentHistory::toJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& d : records_) list.push_back(toJsonRecord(d));
  nlohmann::json root = {{"last_seq", lastSeq_}, {"deployments", list}};
  return root.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<DeploymentHistory> DeploymentHistory::fromJson(std::string_view text, size_t retain) {
  DeploymentHistory history(retain);
  try {
    auto root = nlohmann::json::parse(text);
    history.lastSeq_ = root.at("last_seq").get<int64_t>();
    for (const auto& j : root.at("deployments")) history.records_.push_back(fromJsonRecord(j));
  } catch (const std::exception& e) {
    return failInvalid(std::string("deployment history: ") + e.what());
  }
  return history;
}

Result<DeploymentHistory> DeploymentHistory::load(const std::string& path, size_t retain) {
  auto text = readFileAt(AT_FDCWD, path);
  if (!text) {
    if (text.error().code == ENOENT) return DeploymentHistory(retain);
    return fail(std::move(text).error());
  }
  auto history = fromJson(*text, retain);
  if (!history) return fail(std::move(history).error().withContext("read '" + path + "'"));
  return history;
}

Result<void> DeploymentHistory::save(const std::string& path) const {
  return writeFileAtomicAt(AT_FDCWD, path, toJson(), 0640);
}

Deployment& DeploymentHistory::add(Deployment deployment) {
  deployment.seq = ++lastSeq_;
  if (deployment.buildSeq == 0) deployment.buildSeq = deployment.seq;
  records_.push_back(std::move(deployment));
  int64_t seq = records_.back().seq;
  trim();
  return *find(seq);
}

Deployment* DeploymentHistory::find(int64_t seq) {
  for (auto& d : records_) {
    if (d.seq == seq) return &d;
  }
  return nullptr;
}

const Deployment* DeploymentHistory::find(int64_t seq) const {
  return const_cast<DeploymentHistory*>(this)->find(seq);
}

Deployment* DeploymentHistory::serving() {
  for (auto it = records_.rbegin(); it != records_.rend(); ++it) {
    if (it->outcome == Outcome::kServing) return &*it;
  }
  return nullptr;
}

const Deployment* DeploymentHistory::serving() const {
  return const_cast<DeploymentHistory*>(this)->serving();
}

std::vector<Deployment*> DeploymentHistory::inProgress() {
  std::vector<Deployment*> out;
  for (auto& d : records_) {
    if (d.outcome == Outcome::kBuilding || d.outcome == Outcome::kStarting) out.push_back(&d);
  }
  return out;
}

const Deployment* DeploymentHistory::rollbackTarget(std::string_view sha) const {
  if (sha.size() < 7) return nullptr;
  for (auto it = records_.rbegin(); it != records_.rend(); ++it) {
    bool served = it->outcome == Outcome::kServing || it->outcome == Outcome::kReplaced ||
                  it->outcome == Outcome::kStopped;
    if (served && !it->image.empty() && it->sha.compare(0, sha.size(), sha) == 0) return &*it;
  }
  return nullptr;
}

// Drops the oldest records beyond `retain_`, never the serving one.
void DeploymentHistory::trim() {
  while (records_.size() > retain_) {
    auto victim = std::find_if(records_.begin(), records_.end(),
                               [](const Deployment& d) { return d.outcome != Outcome::kServing; });
    if (victim == records_.end()) return;
    dropped_.push_back(victim->seq);
    records_.erase(victim);
  }
}

}  // namespace spacelet::agent::supervisor
