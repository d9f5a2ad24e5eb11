// The filesystem step: mount, act, pack, cache (see build_run.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "agent/build/build_run.h"
#include "agent/build/copy_files.h"
#include "agent/image/fs_util.h"
#include "agent/image/layer_pack.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::build {
namespace {

Result<void> makeDir(const std::string& path, uid_t owner) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
    return failErrno(errno, "create '" + path + "'");
  if (::chown(path.c_str(), owner, owner) != 0) return failErrno(errno, "chown '" + path + "'");
  return {};
}

std::string shortDigest(const image::Digest& d) {
  return d.hex().substr(0, 12);
}

std::string seconds(std::chrono::steady_clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fs", std::chrono::duration<double>(d).count());
  return buf;
}

}  // namespace

void BuildRun::log(std::string_view line) const {
  std::string text(line);
  for (const auto& [id, value] : options.secrets) {
    if (value.empty()) continue;
    for (size_t pos; (pos = text.find(value)) != std::string::npos;)
      text.replace(pos, value.size(), "****");
  }
  sink(text);
}

Result<StepRoot> StepRoot::mount(BuildRun& run, const StageState& state, const std::string& name) {
  StepRoot root;
  root.dir_ = run.scratch + "/" + name;
  root.rootfs_ = root.dir_ + "/rootfs";
  root.upper_ = root.dir_ + "/upper";
  uid_t host = run.options.ids.hostId;
  SPACELET_TRY(makeDir(root.dir_, 0));
  SPACELET_TRY(makeDir(root.rootfs_, host));
  SPACELET_TRY(makeDir(root.upper_, host));  // the root of the merged tree: container root's
  SPACELET_TRY(makeDir(root.dir_ + "/work", 0));
  std::vector<std::string> lowers;
  for (const auto& layer : state.layers) {
    auto dir = run.store.unpackedLayer(layer);
    if (!dir) return fail(std::move(dir).error());
    lowers.push_back(*dir);
  }
  auto overlay = image::OverlayMount::mount(
      {lowers, root.upper_, root.dir_ + "/work", root.rootfs_, root.dir_, run.userns.get()});
  if (!overlay) return fail(std::move(overlay).error());
  root.overlay_ = std::move(*overlay);
  auto fd = openAt(AT_FDCWD, root.rootfs_, O_RDONLY | O_DIRECTORY);
  if (!fd) return fail(std::move(fd).error());
  root.fd_ = std::move(*fd);
  return root;
}

Result<void> StepRoot::unmount() {
  fd_.reset();
  return overlay_.unmount();
}

std::string stepKey(const StageState& state, const Instruction& ins, const std::string& extra) {
  std::string args;
  for (const auto& [k, v] : state.args) args += k + "=" + v + "\n";
  std::vector<std::string_view> parts = {ins.text, args, extra};
  for (const auto& h : ins.heredocs) parts.push_back(h.content);
  return chainKey(state.cacheKey, parts);
}

namespace {

void appendLayer(StageState& state, const Instruction& ins, const CacheEntry& entry) {
  state.layers.push_back(entry.layer);
  state.config.diffIds.push_back(entry.diffId);
  state.config.history.push_back({ins.text, false});
}

Result<CacheEntry> runAndPack(BuildRun& run, StageState& state, const Instruction& ins,
                              const FsAction& action) {
  auto root = StepRoot::mount(run, state, "step-" + std::to_string(run.step));
  if (!root) return fail(std::move(root).error());
  SPACELET_TRY(action(*root));
  SPACELET_TRY(root->unmount());
  auto upper = openAt(AT_FDCWD, root->upper(), O_RDONLY | O_DIRECTORY);
  if (!upper) return fail(std::move(upper).error());
  image::PackOptions pack;
  pack.idShift = run.options.ids.hostId;
  pack.idCount = run.options.ids.count;
  pack.maxBytes = run.store.options().unpack.limits.maxLayerBytes;
  auto packed = image::packLayer(upper->get(), run.store.blobs(), pack);
  if (!packed) {
    return fail(std::move(packed).error().withContext(ins.where()));
  }
  auto dir = openAt(AT_FDCWD, run.scratch, O_RDONLY | O_DIRECTORY);
  if (dir) (void)image::removeTreeAt(dir->get(), "step-" + std::to_string(run.step));
  return CacheEntry{packed->blob, packed->diffId};
}

}  // namespace

Result<void> filesystemStep(BuildRun& run, StageState& state, const Instruction& ins,
                            const std::string& key, const FsAction& action) {
  auto started = std::chrono::steady_clock::now();
  if (!run.options.noCache) {
    if (auto hit = run.cache.lookup(key); hit && run.store.blobs().has(hit->layer.digest)) {
      appendLayer(state, ins, *hit);
      state.cacheKey = key;
      ++run.cacheHits;
      run.log(" ---> Using cache " + shortDigest(hit->layer.digest));
      return {};
    }
  }
  auto entry = runAndPack(run, state, ins, action);
  if (!entry) return fail(std::move(entry).error());
  SPACELET_TRY(run.cache.store(key, *entry));
  appendLayer(state, ins, *entry);
  state.cacheKey = key;
  run.log(" ---> " + shortDigest(entry->layer.digest) + " (" +
          seconds(std::chrono::steady_clock::now() - started) + ")");
  return {};
}

Result<void> workdirStep(BuildRun& run, StageState& state, const Instruction& ins) {
  std::string dir = state.config.config.workingDir;
  return filesystemStep(run, state, ins, stepKey(state, ins, dir),
                        [&](StepRoot& root) -> Result<void> {
                          CopyOptions owner;
                          owner.hostShift = run.options.ids.hostId;
                          auto fd = openDirInRoot(root.fd(), dir, true, owner);
                          if (!fd) return fail(std::move(fd).error().withContext(ins.where()));
                          return {};
                        });
}

}  // namespace spacelet::agent::build
