// The node's images behind /v1/images (see node_images.h).
#include "agent/supervisor/node_images.h"

#include "agent/build/store_maintenance.h"
#include "agent/image/bootstrap.h"
#include "agent/image/image_import.h"
#include "agent/store/clock.h"
#include "agent/supervisor/deployment.h"
#include "agent/supervisor/layout.h"
#include "spacelet/base/log.h"

namespace spacelet::agent::supervisor {
namespace {

using nlohmann::json;

// History records are only read here; keep every one of them.
constexpr size_t kReadAllRecords = SIZE_MAX;

bool usesImage(Outcome outcome) {
  return outcome == Outcome::kBuilding || outcome == Outcome::kStarting ||
         outcome == Outcome::kServing;
}

json imageEntry(const image::ImageRecord& record, const image::Image* resolved,
                const std::set<std::string>& usedBy) {
  json entry = {{"name", record.name.empty() ? json(nullptr) : json(record.name)},
                {"digest", record.manifestBlob.digest.str()},
                {"created", store::formatTimestamp(record.created * 1000)},
                {"used_by", usedBy}};
  if (resolved) {
    int64_t size = record.manifestBlob.size + resolved->manifest.config.size;
    for (const auto& layer : resolved->manifest.layers) size += layer.size;
    entry["size"] = size;
    entry["layers"] = resolved->manifest.layers.size();
  }
  return entry;
}

json pruneJson(const build::PruneReport& r) {
  return {{"images_removed", r.imagesRemoved},
          {"cache_records_removed", r.cacheRecordsRemoved},
          {"blobs_removed", r.gc.blobsRemoved},
          {"layers_removed", r.gc.layersRemoved},
          {"bytes_freed", r.gc.bytesFreed}};
}

// The python base is made once and also named as the streamlit base when that differs.
Result<json> bootstrapOne(image::ImageStore& store, const std::string& base,
                          const image::BootstrapOptions& options, const config::Builds& builds) {
  auto made = base == "busybox" ? image::bootstrapBusybox(store, options)
                                : image::bootstrapPython(store, options);
  if (!made) return fail(std::move(made).error().withContext("bootstrap " + base));
  json names = {base == "busybox" ? options.busyboxName : options.pythonName};
  if (base == "python" && builds.baseImageStreamlit != options.pythonName &&
      (options.force || !store.get(builds.baseImageStreamlit))) {
    SPACELET_TRY(store.tag(builds.baseImageStreamlit, made->manifestBlob));
    names.push_back(builds.baseImageStreamlit);
  }
  options.progress(base + ": " + names.dump() + " is " + made->manifestBlob.digest.str());
  return json{{"base", base}, {"names", names}, {"digest", made->manifestBlob.digest.str()}};
}

}  // namespace

std::map<std::string, std::set<std::string>> imagesUsedBySpaces(
    const std::string& stateDir, const std::vector<store::SpaceId>& spaces) {
  std::map<std::string, std::set<std::string>> used;
  for (const auto& id : spaces) {
    auto history = DeploymentHistory::load(historyPath(stateDir, id), kReadAllRecords);
    if (!history) {
      log::warning("images: " + history.error().message);
      continue;
    }
    for (const Deployment& d : history->all()) {
      if (!usesImage(d.outcome)) continue;
      used[imageName(id, d.buildSeq ? d.buildSeq : d.seq)].insert(id.str());
      if (!d.image.empty()) used[d.image].insert(id.str());
    }
  }
  return used;
}

NodeImages::NodeImages(image::ImageStore& store, NodeImagesOptions options, daemon::EventLoop& loop,
                       store::SpaceRegistry& registry)
    : store_(store),
      options_(std::move(options)),
      loop_(loop),
      registry_(registry),
      running_(std::make_shared<std::string>()) {}

NodeImages::~NodeImages() {
  if (worker_.joinable()) worker_.join();
}

Result<void> NodeImages::startWatermarkTimer() {
  auto timer = loop_.addTimer(options_.watermarkEvery, [this] {
    checkWatermarks();
    (void)watermarkTimer_.rearm(options_.watermarkEvery);
  });
  if (!timer) return fail(std::move(timer).error());
  watermarkTimer_ = std::move(*timer);
  return {};
}

std::vector<store::SpaceId> NodeImages::spaceIds() const {
  std::vector<store::SpaceId> ids;
  for (const store::Space* s : registry_.list()) ids.push_back(s->id);
  return ids;
}

std::set<std::string> NodeImages::keptImages() const {
  std::set<std::string> kept;
  for (const auto& [image, spaces] : imagesUsedBySpaces(options_.stateDir, spaceIds())) {
    kept.insert(image);
  }
  const config::Builds& b = options_.config()->builds;
  kept.insert({b.baseImageGradio, b.baseImageStreamlit, b.baseImageStatic});
  return kept;
}

Result<json> NodeImages::list() {
  auto records = store_.list();
  if (!records) return fail(std::move(records).error());
  auto used = imagesUsedBySpaces(options_.stateDir, spaceIds());
  json images = json::array();
  for (const auto& r : *records) {
    std::string digest = r.manifestBlob.digest.str();
    std::set<std::string> usedBy = used[digest];
    if (!r.name.empty()) usedBy.merge(used[r.name]);
    auto resolved = store_.get(r.name.empty() ? digest : r.name);
    images.push_back(imageEntry(r, resolved ? &*resolved : nullptr, usedBy));
  }
  return json{{"images", images}};
}

Result<json> NodeImages::remove(const std::string& ref) {
  auto image = store_.get(ref);
  if (!image) return fail(std::move(image).error());
  auto used = imagesUsedBySpaces(options_.stateDir, spaceIds());
  std::set<std::string> usedBy = used[image->manifestBlob.digest.str()];
  usedBy.merge(used[ref]);
  if (!usedBy.empty()) {
    return fail(Error{EBUSY, "image '" + ref + "' is used by Space '" + *usedBy.begin() +
                                 "'; delete the Space or deploy another commit first"});
  }
  SPACELET_TRY(store_.remove(ref));
  return json{{"name", ref}, {"removed", true}};
}

Result<void> NodeImages::start(const api::ImageJob& job, Progress progress, Done done) {
  static constexpr const char* kWhat[] = {"an import", "a bootstrap", "a prune"};
  return run(kWhat[static_cast<int>(job.kind)], workFor(job), std::move(progress), std::move(done));
}

NodeImages::Work NodeImages::workFor(const api::ImageJob& job) {
  switch (job.kind) {
    case api::ImageJob::Kind::kImport:
      return [this, job](const Progress& progress) -> Result<json> {
        progress("importing '" + job.path + "'");
        auto imported = image::importImage(store_, job.path, job.name, progress);
        if (!imported) return fail(std::move(imported).error());
        json images = json::array();
        for (const auto& i : imported->images) {
          progress("imported " + (i.name.empty() ? "(unnamed)" : i.name) + " " +
                   i.manifestBlob.digest.str());
          images.push_back({{"name", i.name}, {"digest", i.manifestBlob.digest.str()}});
        }
        return json{{"format", image::formatName(imported->format)}, {"images", images}};
      };
    case api::ImageJob::Kind::kBootstrap:
      return [this, job, c = options_.config()](const Progress& progress) -> Result<json> {
        image::BootstrapOptions options;
        options.force = job.force;
        options.busyboxName = c->builds.baseImageStatic;
        options.pythonName = c->builds.baseImageGradio;
        options.progress = progress;
        json made = json::array();
        for (const auto& base : job.bases) {
          auto one = bootstrapOne(store_, base, options, c->builds);
          if (!one) return fail(std::move(one).error());
          made.push_back(std::move(*one));
        }
        return json{{"images", made}};
      };
    case api::ImageJob::Kind::kPrune:
      break;
  }
  return [this, all = job.all, kept = keptImages()](const Progress& progress) -> Result<json> {
    progress(all ? "pruning dangling images, build cache, unused images and unreferenced blobs"
                 : "pruning dangling images and unreferenced blobs");
    auto report = build::pruneStore(store_, build::BuildCache(options_.cacheRoot), {all, kept});
    if (!report) return fail(std::move(report).error());
    return pruneJson(*report);
  };
}

Result<void> NodeImages::run(std::string what, Work work, Progress progress, Done done) {
  if (!running_->empty()) {
    return fail(
        Error{EBUSY, "the image store is busy with " + *running_ + "; retry when it has finished"});
  }
  if (worker_.joinable()) worker_.join();  // the previous job has posted its end already
  *running_ = std::move(what);
  Progress posted = [this, progress](std::string_view line) {
    loop_.post([progress, text = std::string(line)] { progress(text); });
  };
  worker_ = std::thread(
      [this, work = std::move(work), posted, done = std::move(done), running = running_] {
        Result<json> result = work(posted);
        loop_.post([running, done, result] {
          running->clear();
          done(result);
        });
      });
  return {};
}

void NodeImages::checkWatermarks() {
  if (!running_->empty()) return;  // the next tick checks
  const config::Builds& b = options_.config()->builds;
  image::Watermarks marks{static_cast<double>(b.diskHighWatermark) / 100,
                          static_cast<double>(b.diskLowWatermark) / 100};
  Work work = [this, marks, kept = keptImages()](const Progress&) -> Result<json> {
    auto report =
        build::enforceWatermarks(store_, build::BuildCache(options_.cacheRoot), kept, marks);
    if (!report) return fail(std::move(report).error());
    return pruneJson(*report);
  };
  (void)run(
      "the disk watermark check", std::move(work), [](std::string_view) {},
      [](Result<json> result) {
        if (!result) {
          log::error("images: disk watermark check: " + result.error().message);
        } else if ((*result)["images_removed"] != 0 || (*result)["cache_records_removed"] != 0) {
          log::info("images: over the disk high watermark; pruned " + result->dump());
        }
      });
}

}  // namespace spacelet::agent::supervisor
