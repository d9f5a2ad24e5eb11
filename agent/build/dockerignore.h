// .dockerignore: which files of the build context COPY and ADD may not see. Patterns follow
// Docker's (Go filepath.Match plus '**', '!' exceptions, the last match wins, a pattern that
// matches a directory excludes everything below it). Pure code.
#pragma once

#include <regex>
#include <string>
#include <vector>

#include "spacelet/base/error.h"

namespace spacelet::agent::build {

class DockerIgnore {
 public:
  static Result<DockerIgnore> parse(const std::string& text);

  // `rel` is a normalized context-relative path ("app/main.py").
  bool excluded(const std::string& rel) const;
  // True when some '!' pattern could re-include something below an excluded directory, so a
  // walk must still descend into it.
  bool hasExceptions() const { return hasExceptions_; }

 private:
  struct Pattern {
    std::regex regex;
    bool exception = false;
  };
  std::vector<Pattern> patterns_;
  bool hasExceptions_ = false;
};

}  // namespace spacelet::agent::build
