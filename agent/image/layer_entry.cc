// Validation and planning of layer entries (see layer_entry.h).
#include "agent/image/layer_entry.h"

#include <vector>

namespace spacelet::agent::image {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::string quoted(const std::string& s) {
  return "'" + s + "'";
}

Result<EntryPlan> planWhiteout(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base == kOpaqueMarker) {
    if (dir.empty()) return EntryPlan{EntryAction::kOpaqueDir, "", ""};
    return EntryPlan{EntryAction::kOpaqueDir, dir, ""};
  }
  std::string hidden = base.substr(kWhiteoutPrefix.size());
  if (hidden.empty() || hidden == "." || hidden == ".." || hidden.starts_with(".wh.")) {
    return failInvalid("layer entry " + quoted(path) + " is not a valid whiteout name");
  }
  return EntryPlan{EntryAction::kWhiteout, dir.empty() ? hidden : dir + "/" + hidden, ""};
}

Result<void> checkSize(const EntryInfo& e, const UnpackLimits& limits, int64_t totalSoFar) {
  if (e.size < 0) return failInvalid("layer entry " + quoted(e.path) + " has a negative size");
  if (e.size > limits.maxEntryBytes) {
    return failInvalid("layer entry " + quoted(e.path) + " is " + std::to_string(e.size) +
                       " bytes, over the limit of " + std::to_string(limits.maxEntryBytes) +
                       " (builds.max_layer_file_bytes)");
  }
  if (totalSoFar + e.size > limits.maxLayerBytes) {
    return failInvalid("layer grows past " + std::to_string(limits.maxLayerBytes) +
                       " bytes at entry " + quoted(e.path) + " (builds.max_layer_bytes)");
  }
  return {};
}

}  // namespace

Result<std::string> normalizeEntryPath(const std::string& raw, size_t maxPathBytes) {
  if (raw.size() > maxPathBytes) {
    return failInvalid("layer entry path of " + std::to_string(raw.size()) +
                       " bytes is longer than the limit of " + std::to_string(maxPathBytes));
  }
  if (raw.find('\0') != std::string::npos) {
    return failInvalid("layer entry path " + quoted(raw) + " contains a NUL byte");
  }
  if (!raw.empty() && raw[0] == '/') {
    return failInvalid("layer entry " + quoted(raw) +
                       " has an absolute path; layer paths must be relative to the root");
  }
  std::string out;
  for (const auto& part : splitPath(raw)) {
    if (part == ".") continue;
    if (part == "..") {
      return failInvalid("layer entry " + quoted(raw) +
                         " escapes the layer with '..'; such layers are refused");
    }
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

bool symlinkEscapes(const std::string& linkPath, const std::string& target) {
  if (target.empty() || target[0] == '/') return false;
  // Depth of the directory holding the link, then walk the target's components.
  int depth = static_cast<int>(splitPath(linkPath).size()) - 1;
  for (const auto& part : splitPath(target)) {
    if (part == ".") continue;
    depth += part == ".." ? -1 : 1;
    if (depth < 0) return true;
  }
  return false;
}

Result<EntryPlan> planEntry(const EntryInfo& e, const UnpackLimits& limits, int64_t totalSoFar) {
  auto path = normalizeEntryPath(e.path, limits.maxPathBytes);
  if (!path) return fail(std::move(path).error());
  SPACELET_TRY(checkSize(e, limits, totalSoFar));
  std::string base = path->substr(path->rfind('/') == std::string::npos ? 0 : path->rfind('/') + 1);
  if (base.starts_with(kWhiteoutPrefix)) return planWhiteout(*path);
  if (path->empty()) return EntryPlan{EntryAction::kSkip, "", ""};
  switch (e.type) {
    case EntryType::kCharDevice:
    case EntryType::kBlockDevice:
      return failInvalid("layer entry " + quoted(e.path) +
                         " is a device node; images may not carry devices (the runtime "
                         "provides /dev)");
    case EntryType::kSocket:
      return EntryPlan{EntryAction::kSkip, *path, ""};
    case EntryType::kSymlink:
      if (symlinkEscapes(*path, e.linkTarget)) {
        return failInvalid("layer entry " + quoted(e.path) + " is a symlink to " +
                           quoted(e.linkTarget) + ", which points outside the layer");
      }
      return EntryPlan{EntryAction::kCreate, *path, ""};
    case EntryType::kHardlink: {
      auto target = normalizeEntryPath(e.linkTarget, limits.maxPathBytes);
      if (!target || target->empty()) {
        return failInvalid("layer entry " + quoted(e.path) + " is a hard link to " +
                           quoted(e.linkTarget) + ", which is outside the layer");
      }
      return EntryPlan{EntryAction::kCreate, *path, *target};
    }
    default:
      return EntryPlan{EntryAction::kCreate, *path, ""};
  }
}

}  // namespace spacelet::agent::image
