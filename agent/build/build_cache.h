// The build cache: one small record per cached step, keyed by a digest of the parent step's
// key, the instruction and the content it reads; the record names the layer the step made.
// Records live in <cacheRoot>/records/<key>.json; their mtime is the last use (prune reads it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/image/oci.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::build {

struct CacheEntry {
  image::Descriptor layer;
  image::Digest diffId;
};

struct CacheRecordInfo {
  std::string key;
  image::Digest layer;
  int64_t lastUsed = 0;  // unix seconds
};

// Chains a cache key: sha256 of the parent key and each part, length-prefixed so that
// ("ab","c") and ("a","bc") differ.
std::string chainKey(const std::string& parent, const std::vector<std::string_view>& parts);

class BuildCache {
 public:
  explicit BuildCache(std::string root) : root_(std::move(root)) {}
  Result<void> init() const;
  // The record for key, or nullopt; a hit refreshes the record's last-use time.
  std::optional<CacheEntry> lookup(const std::string& key) const;
  Result<void> store(const std::string& key, const CacheEntry& entry) const;
  Result<std::vector<CacheRecordInfo>> list() const;
  Result<void> remove(const std::string& key) const;
  std::string mountsDir() const { return root_ + "/mounts"; }

 private:
  std::string recordPath(const std::string& key) const {
    return root_ + "/records/" + key + ".json";
  }
  std::string root_;
};

}  // namespace spacelet::agent::build
