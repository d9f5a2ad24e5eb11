// Build cache records (see build_cache.h).
#include "agent/build/build_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "agent/image/digest.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::build {

std::string chainKey(const std::string& parent, const std::vector<std::string_view>& parts) {
  image::Sha256 h;
  h.update(parent);
  for (auto p : parts) {
    h.update("\n" + std::to_string(p.size()) + ":");
    h.update(p);
  }
  return h.finish().hex();
}

Result<void> BuildCache::init() const {
  for (const std::string& dir : {root_, root_ + "/records", root_ + "/mounts"}) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return failErrno(errno, "create build cache directory '" + dir + "'");
    }
  }
  return {};
}

std::optional<CacheEntry> BuildCache::lookup(const std::string& key) const {
  auto text = readFileAt(AT_FDCWD, recordPath(key));
  if (!text) return std::nullopt;
  try {
    auto j = nlohmann::json::parse(*text);
    auto layer = image::parseDescriptor(j.at("layer").dump());
    auto diffId = image::Digest::parse(j.at("diffId").get<std::string>());
    if (!layer || !diffId) return std::nullopt;
    ::utimensat(AT_FDCWD, recordPath(key).c_str(), nullptr, 0);  // last use: now
    return CacheEntry{*layer, *diffId};
  } catch (const std::exception&) {
    return std::nullopt;  // a damaged record is a miss; the step runs again
  }
}

Result<void> BuildCache::store(const std::string& key, const CacheEntry& entry) const {
  nlohmann::json j = {{"layer", nlohmann::json::parse(image::toJson(entry.layer))},
                      {"diffId", entry.diffId.str()}};
  return writeFileAtomicAt(AT_FDCWD, recordPath(key), j.dump());
}

Result<std::vector<CacheRecordInfo>> BuildCache::list() const {
  std::string dir = root_ + "/records";
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) {
    if (errno == ENOENT) return std::vector<CacheRecordInfo>{};
    return failErrno(errno, "list build cache '" + dir + "'");
  }
  std::vector<CacheRecordInfo> out;
  while (struct dirent* e = ::readdir(d.get())) {
    std::string name = e->d_name;
    if (!name.ends_with(".json")) continue;
    std::string key = name.substr(0, name.size() - 5);
    struct stat st {};
    if (::stat(recordPath(key).c_str(), &st) != 0) continue;
    auto text = readFileAt(AT_FDCWD, recordPath(key));
    if (!text) continue;
    try {
      auto digest = image::Digest::parse(
          nlohmann::json::parse(*text).at("layer").at("digest").get<std::string>());
      if (digest) out.push_back({key, *digest, st.st_mtime});
    } catch (const std::exception&) {
      out.push_back({key, {}, st.st_mtime});  // damaged: listed so prune removes it
    }
  }
  return out;
}

Result<void> BuildCache::remove(const std::string& key) const {
  if (::unlink(recordPath(key).c_str()) != 0 && errno != ENOENT) {
    return failErrno(errno, "remove build cache record '" + key + "'");
  }
  return {};
}

}  // namespace spacelet::agent::build
