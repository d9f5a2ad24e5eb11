// Network namespaces for the network policy: running code inside one, and creating or removing
// the bind-mounted namespace file of a Space. setns(2) and unshare(2) only change the calling
// thread, so both happen on a short-lived thread: the caller's threads never move, which is
// what a multi-threaded agent needs. Sockets opened inside stay in that namespace for life
// (see network_namespaces(7)), so the caller keeps using them from any thread.
#pragma once

#include <sched.h>

#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::netpolicy {

// Runs fn (returning a Result) in the network namespace `ns`; with an invalid `ns`, in the
// caller's own namespace on the calling thread. Children spawned by fn start in `ns` too.
template <typename F>
auto runInNetns(FdView ns, F&& fn) -> decltype(fn()) {
  using R = decltype(fn());
  if (!ns.valid()) return fn();
  std::optional<R> result;
  std::thread worker([&] {
    if (::setns(ns.get(), CLONE_NEWNET) != 0) {
      result.emplace(failErrno(errno, "enter the node network namespace (setns)"));
      return;
    }
    result.emplace(fn());
  });
  worker.join();
  return std::move(*result);
}

// Runs fn in a new, anonymous network namespace that disappears when fn returns (unless fn
// pinned it, e.g. with a socket). Used to check kernel features without touching the node.
Result<void> runInScratchNetns(const std::function<Result<void>()>& fn);

// Makes `dir` a shared mount point (as `ip netns` does with /run/netns), so a namespace file
// unmounted here is unmounted in mount namespaces copied from this one as well.
Result<void> prepareNetnsDir(const std::string& dir);

// Creates a network namespace, bind-mounts it at `path` (which must not exist) and runs
// `inside` in it. When `inside` fails, the namespace file is removed again.
Result<void> createNetnsAt(const std::string& path, const std::function<Result<void>()>& inside);

// True when `path` is a mounted namespace file (nsfs).
bool isNetnsFile(const std::string& path);

// Unmounts and deletes a namespace file; a missing file is not an error.
Result<void> removeNetnsAt(const std::string& path);

}  // namespace spacelet::netpolicy
