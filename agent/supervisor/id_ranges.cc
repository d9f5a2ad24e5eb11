// Per-Space host id ranges (see id_ranges.h).
#include "agent/supervisor/id_ranges.h"

#include <fcntl.h>

#include <nlohmann/json.hpp>
#include <set>

#include "spacelet/base/file_io.h"

namespace spacelet::agent::supervisor {

image::IdRange IdRanges::rangeOf(uint32_t slot) const {
  return image::IdRange{policy_.base + slot * policy_.size, policy_.size};
}

Result<image::IdRange> IdRanges::assign(const std::string& spaceId) {
  if (auto it = slots_.find(spaceId); it != slots_.end()) return rangeOf(it->second);
  std::set<uint32_t> used;
  for (const auto& [_, slot] : slots_) used.insert(slot);
  for (uint32_t slot = 0; slot < policy_.maxRanges; ++slot) {
    if (used.count(slot)) continue;
    slots_[spaceId] = slot;
    return rangeOf(slot);
  }
  return fail(Error{ENOSPC, "no host id range left for Space '" + spaceId + "': all " +
                                std::to_string(policy_.maxRanges) +
                                " are in use; delete Spaces or raise the limit"});
}

Result<IdRanges> IdRanges::load(const std::string& path, IdRangePolicy policy) {
  IdRanges ranges(policy);
  auto text = readFileAt(AT_FDCWD, path);
  if (!text) {
    if (text.error().code == ENOENT) return ranges;
    return fail(std::move(text).error());
  }
  try {
    auto root = nlohmann::json::parse(*text);
    for (const auto& [space, slot] : root.at("slots").items()) {
      ranges.slots_[space] = slot.get<uint32_t>();
    }
  } catch (const std::exception& e) {
    return failInvalid("read '" + path + "': " + e.what());
  }
  return ranges;
}

Result<void> IdRanges::save(const std::string& path) const {
  nlohmann::json root = {{"base", policy_.base}, {"size", policy_.size}, {"slots", slots_}};
  return writeFileAtomicAt(AT_FDCWD, path, root.dump(1) + "\n", 0640);
}

}  // namespace spacelet::agent::supervisor
