// The image store (see image_store.h): index.json, naming, and unpacked layers.
#include "agent/image/image_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <nlohmann/json.hpp>

#include "agent/image/fs_util.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::image {
namespace {
using nlohmann::json;

constexpr const char* kCreatedAnnotation = "org.opencontainers.image.created";

// Holds an exclusive flock on the store's lock file for the lifetime of the object.
class IndexLock {
 public:
  static Result<IndexLock> take(int rootFd) {
    auto fd = openAt(rootFd, "index.lock", O_RDWR | O_CREAT, 0600);
    if (!fd) return fail(std::move(fd).error());
    if (::flock(fd->get(), LOCK_EX) != 0) return failErrno(errno, "lock the image index");
    return IndexLock(std::move(*fd));
  }

 private:
  explicit IndexLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // closing releases the lock
};

Result<ImageRecord> recordFrom(const json& m) {
  auto desc = parseDescriptor(m.dump());
  if (!desc) return fail(std::move(desc).error());
  ImageRecord r{"", *desc, 0};
  if (auto it = desc->annotations.find(kAnnotationRefName); it != desc->annotations.end()) {
    r.name = it->second;
  }
  if (auto it = desc->annotations.find(kCreatedAnnotation); it != desc->annotations.end()) {
    r.created = std::atoll(it->second.c_str());
  }
  return r;
}

}  // namespace

Result<std::string> normalizeImageName(const std::string& name) {
  if (name.empty()) return failInvalid("image name is empty");
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '/' ||
          c == ':' || c == '@' || c == '-')) {
      return failInvalid("image name '" + name + "' has the character '" + std::string(1, c) +
                         "'; use letters, digits and . _ / : @ -");
    }
  }
  if (name.size() > 255) return failInvalid("image name '" + name + "' is longer than 255");
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  bool hasTag = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  if (hasTag || name.find('@') != std::string::npos) return name;
  return name + ":latest";
}

ImageStore::ImageStore(StoreOptions options, BlobStore blobs)
    : options_(std::move(options)), blobs_(std::move(blobs)) {}

Result<ImageStore> ImageStore::open(const StoreOptions& options) {
  auto blobs = BlobStore::open(options.root, options.minFreeBytes);
  if (!blobs) return fail(std::move(blobs).error());
  if (::mkdir((options.root + "/unpacked").c_str(), 0700) != 0 && errno != EEXIST) {
    return failErrno(errno, "create '" + options.root + "/unpacked'");
  }
  return ImageStore(options, std::move(*blobs));
}

namespace {

Result<UniqueFd> lockGc(int rootFd, int operation) {
  auto fd = openAt(rootFd, "gc.lock", O_RDWR | O_CREAT, 0600);
  if (!fd) return fail(std::move(fd).error());
  if (::flock(fd->get(), operation) != 0) {
    int err = errno;
    if (err == EWOULDBLOCK) {
      return fail(Error{EBUSY, "builds or imports are writing to the image store"});
    }
    return failErrno(err, "lock the image store's gc.lock");
  }
  return std::move(*fd);
}

}  // namespace

Result<UniqueFd> ImageStore::lockWriters() const {
  return lockGc(blobs_.rootFd(), LOCK_SH);
}

Result<UniqueFd> ImageStore::lockCollector(bool wait) const {
  return lockGc(blobs_.rootFd(), wait ? LOCK_EX : LOCK_EX | LOCK_NB);
}

Result<std::vector<ImageRecord>> ImageStore::readIndex() const {
  auto text = readFileAt(blobs_.rootFd(), "index.json");
  if (!text) {
    if (text.error().code == ENOENT) return std::vector<ImageRecord>{};
    return fail(std::move(text).error());
  }
  std::vector<ImageRecord> records;
  try {
    json index = json::parse(*text);  // named: a temporary would die before the loop runs
    for (const auto& m : index.at("manifests")) {
      auto r = recordFrom(m);
      if (!r) return fail(std::move(r).error().withContext("index.json"));
      records.push_back(*r);
    }
  } catch (const std::exception& e) {
    return failInvalid(std::string("malformed index.json of the image store: ") + e.what());
  }
  return records;
}

Result<void> ImageStore::writeIndex(const std::vector<ImageRecord>& records) {
  json index = {{"schemaVersion", 2}, {"mediaType", kMediaTypeIndex}, {"manifests", json::array()}};
  for (const auto& r : records) {
    Descriptor d = r.manifestBlob;
    if (!r.name.empty()) d.annotations[kAnnotationRefName] = r.name;
    d.annotations[kCreatedAnnotation] = std::to_string(r.created);
    index["manifests"].push_back(json::parse(toJson(d)));
  }
  return writeFileAtomicAt(blobs_.rootFd(), "index.json", index.dump(2) + "\n");
}

Result<void> ImageStore::tag(const std::string& rawName, const Descriptor& manifestBlob) {
  std::string name;
  if (!rawName.empty()) {
    auto n = normalizeImageName(rawName);
    if (!n) return fail(std::move(n).error());
    name = *n;
  }
  auto lock = IndexLock::take(blobs_.rootFd());
  if (!lock) return fail(std::move(lock).error());
  auto records = readIndex();
  if (!records) return fail(std::move(records).error());
  std::erase_if(*records, [&](const ImageRecord& r) {
    return name.empty() ? r.name.empty() && r.manifestBlob.digest == manifestBlob.digest
                        : r.name == name;
  });
  Descriptor d = manifestBlob;
  d.annotations.clear();
  records->push_back({name, d, static_cast<int64_t>(::time(nullptr))});
  return writeIndex(*records);
}

Result<Image> ImageStore::commit(const std::string& name, const ImageConfig& config,
                                 const std::vector<Descriptor>& layers) {
  for (const auto& l : layers) {
    if (!blobs_.has(l.digest)) return failInvalid("layer '" + l.digest.str() + "' is not stored");
  }
  auto configBlob = blobs_.put(toJson(config), kMediaTypeConfig);
  if (!configBlob) return fail(std::move(configBlob).error());
  auto manifestBlob = blobs_.put(toJson(Manifest{*configBlob, layers}), kMediaTypeManifest);
  if (!manifestBlob) return fail(std::move(manifestBlob).error());
  SPACELET_TRY(tag(name, *manifestBlob));
  return load(name.empty() ? name : *normalizeImageName(name), *manifestBlob);
}

Result<Image> ImageStore::load(const std::string& name, const Descriptor& manifestBlob) const {
  auto manifestText = blobs_.read(manifestBlob.digest);
  if (!manifestText) return fail(std::move(manifestText).error());
  auto manifest = parseManifest(*manifestText);
  if (!manifest) return fail(std::move(manifest).error());
  auto configText = blobs_.read(manifest->config.digest);
  if (!configText) return fail(std::move(configText).error());
  auto config = parseImageConfig(*configText);
  if (!config) return fail(std::move(config).error());
  if (config->diffIds.size() != manifest->layers.size()) {
    return failInvalid("image '" + name + "' has " + std::to_string(manifest->layers.size()) +
                       " layers but " + std::to_string(config->diffIds.size()) + " diff ids");
  }
  return Image{name, manifestBlob, std::move(*manifest), std::move(*config)};
}

Result<Image> ImageStore::get(const std::string& ref) const {
  auto records = readIndex();
  if (!records) return fail(std::move(records).error());
  if (ref.starts_with("sha256:")) {
    for (const auto& r : *records) {
      if (r.manifestBlob.digest.str() == ref) return load(r.name, r.manifestBlob);
    }
    return fail(Error{ENOENT, "no image with manifest digest '" + ref + "'"});
  }
  auto name = normalizeImageName(ref);
  if (!name) return fail(std::move(name).error());
  for (const auto& r : *records) {
    if (r.name == *name) return load(r.name, r.manifestBlob);
  }
  return fail(Error{ENOENT, "no image named '" + *name +
                                "' (list them with 'spacectl image ls'; make base images with "
                                "'spacectl image bootstrap')"});
}

Result<std::vector<ImageRecord>> ImageStore::list() const {
  return readIndex();
}

Result<void> ImageStore::remove(const std::string& rawName) {
  auto name =
      rawName.starts_with("sha256:") ? Result<std::string>(rawName) : normalizeImageName(rawName);
  if (!name) return fail(std::move(name).error());
  auto lock = IndexLock::take(blobs_.rootFd());
  if (!lock) return fail(std::move(lock).error());
  auto records = readIndex();
  if (!records) return fail(std::move(records).error());
  size_t before = records->size();
  std::erase_if(*records, [&](const ImageRecord& r) {
    return r.name == *name || r.manifestBlob.digest.str() == *name;
  });
  if (records->size() == before) return fail(Error{ENOENT, "no image named '" + *name + "'"});
  return writeIndex(*records);
}

Result<std::string> ImageStore::unpackedLayer(const Descriptor& layer) {
  std::string dir = unpackedRoot() + "/" + layer.digest.hex();
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) return dir;
  auto blob = blobs_.openBlob(layer.digest);
  if (!blob) return fail(std::move(blob).error());
  // Unpack beside the final name and rename: a crash never leaves a half layer in use.
  static std::atomic<unsigned> attempt{0};  // distinct temp names for concurrent unpacks
  std::string tmp = unpackedRoot() + "/.tmp-" + layer.digest.hex() + "-" +
                    std::to_string(::getpid()) + "-" + std::to_string(++attempt);
  auto parent = openAt(AT_FDCWD, unpackedRoot(), O_RDONLY | O_DIRECTORY);
  if (!parent) return fail(std::move(parent).error());
  (void)removeTreeAt(parent->get(), tmp.substr(unpackedRoot().size() + 1));
  if (::mkdir(tmp.c_str(), 0755) != 0) return failErrno(errno, "create '" + tmp + "'");
  auto tmpFd = openAt(AT_FDCWD, tmp, O_RDONLY | O_DIRECTORY);
  if (!tmpFd) return fail(std::move(tmpFd).error());
  auto stats = unpackLayer(blob->get(), tmpFd->get(), options_.unpack);
  if (!stats || ::rename(tmp.c_str(), dir.c_str()) != 0) {
    int err = errno;
    (void)removeTreeAt(parent->get(), tmp.substr(unpackedRoot().size() + 1));
    if (!stats)
      return fail(
          std::move(stats).error().withContext("unpack layer '" + layer.digest.str() + "'"));
    if (err != ENOTEMPTY && err != EEXIST)
      return failErrno(err, "store unpacked layer '" + dir + "'");
  }
  return dir;
}

Result<std::vector<std::string>> ImageStore::lowerDirs(const Image& image) {
  std::vector<std::string> dirs;
  for (const auto& layer : image.manifest.layers) {
    auto dir = unpackedLayer(layer);
    if (!dir) return fail(std::move(dir).error());
    dirs.push_back(*dir);
  }
  return dirs;
}

}  // namespace spacelet::agent::image
