// Where cgroups live on this host: which hierarchies are mounted (v2, hybrid, legacy), the
// caller's own cgroup in each (/proc/self/cgroup), and the container's cgroup path.
// The parsing and path rules are pure; detectLayout() is the only part that asks the kernel.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cgroup.h"

namespace spacelet::sandbox::cgroup {

// /proc/self/cgroup: "0::/path" for v2, "N:cpu,cpuacct:/path" per v1 hierarchy.
struct ProcCgroup {
  std::optional<std::string> unified;         // the v2 path, when there is a "0::" line
  std::map<std::string, std::string> byList;  // v1 controller list ("cpu,cpuacct") -> path
};
Result<ProcCgroup> parseProcCgroup(std::string_view text);

// One v1 hierarchy mounted below the root: its directory name and its controllers.
struct V1Mount {
  std::string dir;                    // relative to the root: "memory", "cpu,cpuacct"
  std::set<std::string> controllers;  // {"cpu", "cpuacct"}
};

struct Layout {
  Mode mode = Mode::kUnified;
  std::optional<std::string> unifiedDir;  // relative to the root: "." (v2), "unified" (hybrid)
  std::vector<V1Mount> v1;                // empty on a pure v2 host
};

// What detectLayout saw: the root's filesystem, and each subdirectory that is a cgroup mount.
enum class FsKind { kCgroup2, kCgroup1, kOther };
struct RootEntry {
  std::string name;
  FsKind kind = FsKind::kOther;
};
Result<Layout> classifyLayout(FsKind rootKind, const std::vector<RootEntry>& entries);

// statfs(2) of the root and of each directory below it (symlinks, like cpu -> cpu,cpuacct,
// are aliases and skipped).
Result<Layout> detectLayout(int rootFd, const std::string& rootPath);

// The container's cgroup path (absolute within the hierarchy, "/a/b"): empty cgroupsPath ->
// <own>/spacelet/<id>; relative -> below <own>; absolute -> as is. ".." and empty
// components are refused, so a path can never climb out of the caller's subtree.
Result<std::string> resolveCgroupPath(const std::string& own, const std::string& cgroupsPath,
                                      const std::string& containerId);

// The caller's own path in hierarchy `mount` (v1), matched by its controller list.
Result<std::string> ownPathFor(const ProcCgroup& proc, const V1Mount& mount);

// "/a/b" joined to "c/d" -> "/a/b/c/d"; "/" + "x" -> "/x".
std::string joinCgroupPath(const std::string& base, const std::string& rel);

// True when `path` is `ancestor` or below it.
bool isWithin(const std::string& path, const std::string& ancestor);

}  // namespace spacelet::sandbox::cgroup
