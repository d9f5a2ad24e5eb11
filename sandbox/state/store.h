// The on-disk layout under spacelet-run's --root (default /run/spacelet-run):
//   <root>/<id>/state.json   the ContainerState, replaced atomically (write, fsync, rename)
//   <root>/<id>/config.json  the config the container was created from (hooks, exec defaults)
//   <root>/<id>/exec.fifo    present from create until start; the init blocks opening it
// Every path goes through the root's directory fd. Not thread-safe (the runtime is not
// threaded); concurrent spacelet-run processes serialise on flock() of the container dir.
#pragma once

#include <string>
#include <vector>

#include "sandbox/state/state.h"
#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::sandbox::state {

inline constexpr const char* kStateFile = "state.json";
inline constexpr const char* kConfigFile = "config.json";
inline constexpr const char* kExecFifo = "exec.fifo";

class Store {
 public:
  // Opens (creating with mode 0700 when missing) the state root.
  static Result<Store> open(const std::string& root);

  const std::string& root() const { return root_; }
  int rootFd() const { return rootFd_.get(); }

  // Creates <root>/<id> for a new container and returns its directory fd, locked. A
  // container that exists already is an error that says so.
  Result<UniqueFd> reserve(const std::string& id) const;
  // Opens an existing container's directory, locked exclusively (or shared) with flock.
  Result<UniqueFd> openContainer(const std::string& id, bool exclusive = true) const;
  // Removes <root>/<id> and everything in it (files only; there are no subdirectories).
  Result<void> remove(const std::string& id) const;
  // The ids of all containers, sorted.
  Result<std::vector<std::string>> list() const;

  // A foreground `run` gives up its lock while it waits for the container (so that state,
  // kill and delete from other processes do not block on it) and takes it back after.
  static void unlock(int dirFd);
  static Result<void> relock(int dirFd, const std::string& id);

  static Result<void> save(int dirFd, const ContainerState& state);
  static Result<void> saveConfig(int dirFd, std::string_view configText);
  static Result<ContainerState> load(int dirFd);
  static bool exists(int dirFd, const char* name);

 private:
  Store(std::string root, UniqueFd fd) : root_(std::move(root)), rootFd_(std::move(fd)) {}
  std::string root_;
  UniqueFd rootFd_;
};

// Replaces dirFd/name with data atomically (temp file + rename) but without fsync: runtime
// state lives on a volatile /run that a machine crash wipes anyway, and an fsync per
// command would cost more than the rest of `spacelet-run run` (ext4: ~5-15 ms each).
Result<void> replaceFileAt(int dirFd, const std::string& name, std::string_view data, mode_t mode);

}  // namespace spacelet::sandbox::state
