// Pure checks of one layer tar entry, before anything touches the disk: the path is
// normalized and refused when it escapes (absolute, '..'), links must stay inside the layer,
// device nodes and oversized entries are refused, and '.wh.' names become whiteouts.
// Unit-tested without root; layer_unpack.cc applies the resulting plan.
#pragma once

#include <cstdint>
#include <string>

#include "spacelet/base/error.h"

namespace spacelet::agent::image {

// Configurable limits for one layer (agent config: builds.max_layer_bytes,
// builds.max_layer_file_bytes, builds.max_layer_entries).
struct UnpackLimits {
  int64_t maxEntryBytes = int64_t{8} << 30;   // one file
  int64_t maxLayerBytes = int64_t{32} << 30;  // the uncompressed layer
  int64_t maxEntries = 1'000'000;
  size_t maxPathBytes = 4096;
};

enum class EntryType {
  kFile,
  kDirectory,
  kSymlink,
  kHardlink,
  kFifo,
  kCharDevice,
  kBlockDevice,
  kSocket
};

// What a tar header says about an entry (libarchive's view of it).
struct EntryInfo {
  std::string path;
  EntryType type = EntryType::kFile;
  std::string linkTarget;  // symlink or hardlink target
  int64_t size = 0;
  uint32_t mode = 0644;  // permission bits incl. setuid/setgid/sticky
  int64_t uid = 0;
  int64_t gid = 0;
  int64_t mtime = 0;
};

enum class EntryAction {
  kCreate,     // create `path` as described by the entry
  kWhiteout,   // delete `path` from lower layers: an overlayfs whiteout (char 0/0)
  kOpaqueDir,  // hide the lower layers' content of directory `path`
  kSkip,       // nothing to do (sockets, the root directory itself)
};

struct EntryPlan {
  EntryAction action = EntryAction::kCreate;
  std::string path;        // normalized, relative, never empty, no '.' or '..'
  std::string linkTarget;  // hardlinks: normalized relative path inside the layer
};

// Normalizes "./a//b/" to "a/b". Refuses absolute paths and any '..' component. Returns ""
// for the layer root itself ("." or "./").
Result<std::string> normalizeEntryPath(const std::string& raw, size_t maxPathBytes);

// True when a relative symlink target, seen from the directory of `linkPath`, climbs above
// the layer root. Absolute targets are resolved inside the container's root and stay in.
bool symlinkEscapes(const std::string& linkPath, const std::string& target);

// Plans one entry. `totalSoFar` is the layer's uncompressed bytes before this entry.
Result<EntryPlan> planEntry(const EntryInfo& entry, const UnpackLimits& limits, int64_t totalSoFar);

}  // namespace spacelet::agent::image
