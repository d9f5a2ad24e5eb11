// .dockerignore matching (see dockerignore.h).
#include "agent/build/dockerignore.h"

#include <sstream>

namespace spacelet::agent::build {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// Lexical clean like Go's filepath.Clean, relative to the context root.
std::string cleanPattern(const std::string& p) {
  std::vector<std::string> parts;
  std::stringstream in(p);
  std::string part;
  while (std::getline(in, part, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (const auto& x : parts) out += (out.empty() ? "" : "/") + x;
  return out;
}

Result<std::string> toRegex(const std::string& pattern) {
  std::string re = "^";
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '*' && i + 1 < pattern.size() && pattern[i + 1] == '*') {
      ++i;
      if (i + 1 < pattern.size() && pattern[i + 1] == '/') {
        ++i;
        re += "(.*/)?";
      } else {
        re += ".*";
      }
    } else if (c == '*') {
      re += "[^/]*";
    } else if (c == '?') {
      re += "[^/]";
    } else if (c == '[') {
      size_t end = pattern.find(']', i + 1);
      if (end == std::string::npos) {
        return failInvalid(".dockerignore pattern '" + pattern + "' has an unclosed '['");
      }
      std::string cls = pattern.substr(i + 1, end - i - 1);
      if (!cls.empty() && cls[0] == '!') cls[0] = '^';
      re += "[" + cls + "]";
      i = end;
    } else if (c == '\\' && i + 1 < pattern.size()) {
      re += "\\";
      re += pattern[++i];
    } else if (std::string(".+()|{}^$").find(c) != std::string::npos) {
      re += "\\";
      re += c;
    } else {
      re += c;
    }
  }
  // A pattern that names a directory also excludes what is below it.
  return re + "(/.*)?$";
}

}  // namespace

Result<DockerIgnore> DockerIgnore::parse(const std::string& text) {
  DockerIgnore out;
  std::stringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    bool exception = line[0] == '!';
    if (exception) line = trim(line.substr(1));
    std::string cleaned = cleanPattern(line);
    if (cleaned.empty()) continue;
    auto re = toRegex(cleaned);
    if (!re)
      return fail(
          std::move(re).error().withContext(".dockerignore line " + std::to_string(number)));
    try {
      out.patterns_.push_back({std::regex(*re), exception});
    } catch (const std::regex_error& e) {
      return failInvalid(".dockerignore line " + std::to_string(number) + ": pattern '" + line +
                         "' is not valid: " + e.what());
    }
    out.hasExceptions_ = out.hasExceptions_ || exception;
  }
  return out;
}

bool DockerIgnore::excluded(const std::string& rel) const {
  bool result = false;
  for (const auto& p : patterns_) {
    if (std::regex_match(rel, p.regex)) result = !p.exception;
  }
  return result;
}

}  // namespace spacelet::agent::build
