// The build context: the directory COPY and ADD read from. Sources are resolved lexically
// inside it (wildcards allowed), refused when they escape ('../', a symlink pointing out of
// the context), filtered by .dockerignore, and hashed for the build cache.
#pragma once

#include <string>
#include <vector>

#include "agent/build/dockerignore.h"
#include "agent/image/digest.h"
#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::agent::build {

class BuildContext {
 public:
  // Opens `dir` and reads its .dockerignore, if any.
  static Result<BuildContext> open(const std::string& dir);

  // Context-relative paths ("" is the root) matching a COPY/ADD source, sorted.
  Result<std::vector<std::string>> resolve(const std::string& source) const;
  // A digest of the names, types, modes, link targets and contents below `paths`.
  Result<image::Digest> hash(const std::vector<std::string>& paths) const;
  bool excluded(const std::string& rel) const { return ignore_.excluded(rel); }
  const DockerIgnore& ignore() const { return ignore_; }
  int fd() const { return fd_.get(); }
  const std::string& dir() const { return dir_; }

 private:
  BuildContext(std::string dir, UniqueFd fd, DockerIgnore ignore)
      : dir_(std::move(dir)), fd_(std::move(fd)), ignore_(std::move(ignore)) {}
  Result<void> checkSymlinks(const std::string& rel, const std::string& source) const;
  std::string dir_;
  UniqueFd fd_;
  DockerIgnore ignore_;
};

// Lexically normalizes a context source; refuses one that climbs out of the context.
Result<std::string> normalizeContextPath(const std::string& source);

// Go-style glob match of one path component ('*', '?', '[...]').
bool matchComponent(const std::string& pattern, const std::string& name);

}  // namespace spacelet::agent::build
