// SQL of the gpu_allocations table (see gpu_allocations.h).
#include "agent/store/gpu_allocations.h"

#include <algorithm>

namespace spacelet::agent::store {
namespace {

Result<std::vector<std::string>> heldBy(Database& db, const std::string& space) {
  auto s = db.prepare("SELECT gpu FROM gpu_allocations WHERE space_id = ?");
  if (!s) return fail(std::move(s).error());
  s->bind(1, space);
  std::vector<std::string> out;
  for (;;) {
    auto row = s->step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return out;
    out.push_back(s->text(0));
  }
}

// Inserts one row; a GPU held by another Space is EBUSY with its holder's name.
Result<void> insertRow(Database& db, const std::string& space, const std::string& gpu, int64_t at) {
  auto holder = db.prepare("SELECT space_id FROM gpu_allocations WHERE gpu = ?");
  if (!holder) return fail(std::move(holder).error());
  holder->bind(1, gpu);
  auto found = holder->step();
  if (!found) return fail(std::move(found).error());
  if (*found) {
    return fail(Error{EBUSY, "GPU '" + gpu + "' is held by '" + holder->text(0) +
                                 "'; it cannot also go to '" + space + "'"});
  }
  auto s = db.prepare("INSERT INTO gpu_allocations (gpu, space_id, granted_at) VALUES (?, ?, ?)");
  if (!s) return fail(std::move(s).error());
  s->bind(1, gpu).bind(2, space).bind(3, at);
  return s->run();
}

}  // namespace

Result<std::vector<GpuAllocationRow>> loadGpuAllocations(Database& db) {
  auto s = db.prepare("SELECT gpu, space_id, granted_at FROM gpu_allocations ORDER BY gpu");
  if (!s) return fail(std::move(s).error());
  std::vector<GpuAllocationRow> out;
  for (;;) {
    auto row = s->step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return out;
    out.push_back({s->text(0), s->text(1), s->integer(2)});
  }
}

Result<void> setGpuAllocations(Database& db, const std::string& space,
                               const std::vector<std::string>& gpus, int64_t grantedAtMs) {
  auto tx = Transaction::begin(db);
  if (!tx) return fail(std::move(tx).error());
  auto held = heldBy(db, space);
  if (!held) return fail(std::move(held).error());
  auto drop = db.prepare("DELETE FROM gpu_allocations WHERE space_id = ? AND gpu = ?");
  if (!drop) return fail(std::move(drop).error());
  for (const auto& gpu : *held) {
    if (std::find(gpus.begin(), gpus.end(), gpu) != gpus.end()) continue;
    drop->bind(1, space).bind(2, gpu);
    SPACELET_TRY(drop->run());
    SPACELET_TRY(drop->reset());
  }
  for (const auto& gpu : gpus) {
    if (std::find(held->begin(), held->end(), gpu) != held->end()) continue;
    SPACELET_TRY(insertRow(db, space, gpu, grantedAtMs));
  }
  return tx->commit();
}

}  // namespace spacelet::agent::store
