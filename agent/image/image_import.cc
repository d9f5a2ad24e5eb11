// Image imports (see image_import.h).
#include "agent/image/image_import.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "agent/image/fs_util.h"
#include "agent/image/layer_pack.h"
#include "agent/image/layer_unpack.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::image {
namespace {
using nlohmann::json;

// A temp directory under the store (same filesystem), removed when done.
class ImportDir {
 public:
  static Result<ImportDir> make(const ImageStore& store) {
    static std::atomic<unsigned> counter{0};
    std::string path = store.options().root + "/.import-" + std::to_string(::getpid()) + "-" +
                       std::to_string(++counter);
    if (::mkdir(path.c_str(), 0700) != 0) return failErrno(errno, "create '" + path + "'");
    return ImportDir(path);
  }
  ImportDir(ImportDir&& o) noexcept : path_(std::exchange(o.path_, {})) {}
  ~ImportDir() {
    if (path_.empty()) return;
    auto parent = openAt(AT_FDCWD, path_.substr(0, path_.rfind('/')), O_RDONLY | O_DIRECTORY);
    if (parent) (void)removeTreeAt(parent->get(), path_.substr(path_.rfind('/') + 1));
  }
  const std::string& path() const { return path_; }

 private:
  explicit ImportDir(std::string p) : path_(std::move(p)) {}
  std::string path_;
};

// Copies a file into the blob store; when `expected` is set the content must hash to it.
Result<Descriptor> copyBlob(ImageStore& store, int dirFd, const std::string& rel,
                            std::string mediaType, const Digest* expected) {
  auto fd = openAt(dirFd, rel, O_RDONLY | O_NOFOLLOW);
  if (!fd) return fail(std::move(fd).error());
  auto w = store.blobs().writer();
  if (!w) return fail(std::move(w).error());
  char buf[128 << 10];
  ssize_t n;
  while ((n = ::read(fd->get(), buf, sizeof buf)) > 0)
    SPACELET_TRY(w->write({buf, static_cast<size_t>(n)}));
  if (n < 0) return failErrno(errno, "read '" + rel + "'");
  auto d = w->commit(std::move(mediaType));
  if (!d) return fail(std::move(d).error());
  if (expected && d->digest != *expected) {
    return failInvalid("blob '" + rel + "' has digest '" + d->digest.str() + "', not the '" +
                       expected->str() + "' its manifest names; the archive is corrupt");
  }
  return d;
}

// "12.3 MiB", as progress lines show sizes.
std::string mib(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return text;
}

// Reports progress when the caller asked for it.
struct Reporter {
  const ImportProgress& progress;
  void operator()(const std::string& line) const {
    if (progress) progress(line);
  }
  void layer(size_t index, size_t count, const Descriptor& d) const {
    (*this)("layer " + std::to_string(index + 1) + "/" + std::to_string(count) + " " +
            d.digest.str().substr(0, 19) + " " + mib(d.size));
  }
};

Result<json> readJson(int dirFd, const std::string& rel) {
  auto text = readFileAt(dirFd, rel);
  if (!text) return fail(std::move(text).error());
  try {
    return json::parse(*text);
  } catch (const std::exception& e) {
    return failInvalid("'" + rel + "' is not valid JSON: " + e.what());
  }
}

Result<Descriptor> copyByDigest(ImageStore& store, int dirFd, const Descriptor& d) {
  return copyBlob(store, dirFd, "blobs/sha256/" + d.digest.hex(), d.mediaType, &d.digest);
}

Result<std::vector<Image>> importLayout(ImageStore& store, int dirFd, const std::string& name,
                                        const Reporter& report) {
  auto index = readJson(dirFd, "index.json");
  if (!index) return fail(std::move(index).error());
  std::vector<Image> images;
  try {
    const auto& manifests = index->at("manifests");
    for (const auto& m : manifests) {
      auto desc = parseDescriptor(m.dump());
      if (!desc) return fail(std::move(desc).error());
      auto manifestBlob = copyByDigest(store, dirFd, *desc);
      if (!manifestBlob) return fail(std::move(manifestBlob).error());
      auto manifest = parseManifest(*store.blobs().read(desc->digest));
      if (!manifest) return fail(std::move(manifest).error());
      SPACELET_TRY(copyByDigest(store, dirFd, manifest->config));
      for (size_t i = 0; i < manifest->layers.size(); ++i) {
        SPACELET_TRY(copyByDigest(store, dirFd, manifest->layers[i]));
        report.layer(i, manifest->layers.size(), manifest->layers[i]);
      }
      std::string ref = desc->annotations.contains(kAnnotationRefName)
                            ? desc->annotations.at(kAnnotationRefName)
                            : "";
      std::string tag = manifests.size() == 1 && !name.empty() ? name : ref;
      SPACELET_TRY(store.tag(tag, *manifestBlob));
      auto image = store.get(tag.empty() ? manifestBlob->digest.str() : tag);
      if (!image) return fail(std::move(image).error());
      images.push_back(std::move(*image));
    }
  } catch (const std::exception& e) {
    return failInvalid(std::string("malformed OCI layout: ") + e.what());
  }
  return images;
}

std::string layerMediaType(int dirFd, const std::string& rel) {
  unsigned char head[4] = {};
  auto fd = openAt(dirFd, rel, O_RDONLY);
  if (fd && ::read(fd->get(), head, sizeof head) == 4) {
    if (head[0] == 0x1f && head[1] == 0x8b) return kMediaTypeLayerGzip;
    if (head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
      return kMediaTypeLayerZstd;
  }
  return kMediaTypeLayerTar;
}

Result<Image> importDockerEntry(ImageStore& store, int dirFd, const json& entry,
                                const std::string& name, const Reporter& report) {
  auto config = readJson(dirFd, entry.at("Config").get<std::string>());
  if (!config) return fail(std::move(config).error());
  auto parsed = parseImageConfig(config->dump());
  if (!parsed) return fail(std::move(parsed).error());
  std::vector<Descriptor> layers;
  for (const auto& l : entry.at("Layers")) {
    std::string rel = l.get<std::string>();
    std::string type = layerMediaType(dirFd, rel);
    // An uncompressed layer's digest is its diff id, which the config must list in order.
    const Digest* expected = type == kMediaTypeLayerTar && layers.size() < parsed->diffIds.size()
                                 ? &parsed->diffIds[layers.size()]
                                 : nullptr;
    auto blob = copyBlob(store, dirFd, rel, type, expected);
    if (!blob) return fail(std::move(blob).error());
    report.layer(layers.size(), entry.at("Layers").size(), *blob);
    layers.push_back(*blob);
  }
  std::string tag = name;
  if (tag.empty() && entry.contains("RepoTags") && !entry["RepoTags"].empty()) {
    tag = entry["RepoTags"][0].get<std::string>();
  }
  return store.commit(tag, *parsed, layers);
}

Result<std::vector<Image>> importDockerArchive(ImageStore& store, int dirFd,
                                               const std::string& name, const Reporter& report) {
  auto manifest = readJson(dirFd, "manifest.json");
  if (!manifest) return fail(std::move(manifest).error());
  std::vector<Image> images;
  try {
    for (const auto& entry : *manifest) {
      auto image =
          importDockerEntry(store, dirFd, entry, manifest->size() == 1 ? name : "", report);
      if (!image) return fail(std::move(image).error());
      images.push_back(std::move(*image));
    }
  } catch (const std::exception& e) {
    return failInvalid(std::string("malformed docker-archive manifest.json: ") + e.what());
  }
  return images;
}

// A rootfs tarball becomes a one-layer image: unpacked (with every check) and repacked.
Result<std::vector<Image>> importRootfs(ImageStore& store, int dirFd, const std::string& name,
                                        const Reporter& report) {
  if (name.empty()) {
    return failInvalid(
        "a rootfs tarball carries no image name; give one (spacectl image import FILE NAME)");
  }
  report("packing the rootfs into a layer");
  auto layer = packLayer(dirFd, store.blobs(), {});
  if (!layer) return fail(std::move(layer).error());
  report.layer(0, 1, layer->blob);
  ImageConfig config;
  config.config.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  config.config.cmd = {"/bin/sh"};
  config.diffIds = {layer->diffId};
  config.history = {{"import rootfs tarball", false}};
  auto image = store.commit(name, config, {layer->blob});
  if (!image) return fail(std::move(image).error());
  return std::vector<Image>{std::move(*image)};
}

Result<ImportFormat> formatOfDir(int dirFd, bool fromArchive) {
  if (::faccessat(dirFd, "oci-layout", F_OK, 0) == 0) {
    return fromArchive ? ImportFormat::kOciArchive : ImportFormat::kOciLayout;
  }
  if (::faccessat(dirFd, "manifest.json", F_OK, 0) == 0) return ImportFormat::kDockerArchive;
  if (!fromArchive) {
    return failInvalid("directory is not an OCI image layout (no 'oci-layout' file)");
  }
  return ImportFormat::kRootfsTar;
}

}  // namespace

const char* formatName(ImportFormat format) {
  switch (format) {
    case ImportFormat::kOciLayout:
      return "oci-layout";
    case ImportFormat::kOciArchive:
      return "oci-archive";
    case ImportFormat::kDockerArchive:
      return "docker-archive";
    case ImportFormat::kRootfsTar:
      return "rootfs tarball";
  }
  return "unknown";
}

Result<ImportResult> importImage(ImageStore& store, const std::string& path,
                                 const std::string& name, const ImportProgress& progress) {
  Reporter report{progress};
  auto writing = store.lockWriters();  // blobs copied in are unnamed until the index names them
  if (!writing) return fail(std::move(writing).error());
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return failErrno(errno, "import '" + path + "'");
  std::optional<ImportDir> tmp;
  auto dirFd = openAt(AT_FDCWD, path, O_RDONLY | O_DIRECTORY);
  if (!S_ISDIR(st.st_mode)) {
    auto made = ImportDir::make(store);
    if (!made) return fail(std::move(made).error());
    tmp.emplace(std::move(*made));
    auto in = openAt(AT_FDCWD, path, O_RDONLY);
    if (!in) return fail(std::move(in).error());
    dirFd = openAt(AT_FDCWD, tmp->path(), O_RDONLY | O_DIRECTORY);
    if (!dirFd) return fail(std::move(dirFd).error());
    report("unpacking the archive (" + mib(st.st_size) + ")");
    auto unpacked = unpackLayer(in->get(), dirFd->get(), store.options().unpack);
    if (!unpacked) return fail(std::move(unpacked).error().withContext("import '" + path + "'"));
  }
  if (!dirFd) return fail(std::move(dirFd).error());
  auto format = formatOfDir(dirFd->get(), tmp.has_value());
  if (!format) return fail(std::move(format).error().withContext("import '" + path + "'"));
  Result<std::vector<Image>> images = *format == ImportFormat::kDockerArchive
                                          ? importDockerArchive(store, dirFd->get(), name, report)
                                      : *format == ImportFormat::kRootfsTar
                                          ? importRootfs(store, dirFd->get(), name, report)
                                          : importLayout(store, dirFd->get(), name, report);
  if (!images) {
    return fail(std::move(images).error().withContext(std::string("import ") + formatName(*format) +
                                                      " '" + path + "'"));
  }
  return ImportResult{*format, std::move(*images)};
}

}  // namespace spacelet::agent::image
