// The Dockerfile parser: text -> a list of instructions, each with its line, flags, exec-form
// arguments or shell-form text, and heredocs. It follows the Dockerfile reference (parser
// directives, the escape character, line continuations, comments, heredocs) and checks
// what can be checked without a build context: known instructions, allowed flags, arity.
// Errors name the line and the instruction. Pure code; unit- and golden-tested.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "spacelet/base/error.h"

namespace spacelet::agent::build {

struct Flag {
  std::string name;  // without "--"
  std::string value;
};

struct Heredoc {
  std::string name;     // the delimiter word ("EOF")
  std::string content;  // the lines between, each ending in '\n'
  bool expand = true;   // false when the delimiter was quoted
};

struct Instruction {
  std::string keyword;  // upper case: "RUN"
  int line = 0;         // 1-based line the instruction starts on
  std::string text;     // the instruction as written, continuations joined (logs, cache keys)
  std::vector<Flag> flags;
  std::string rest;  // the arguments after the flags, as text
  bool execForm = false;
  std::vector<std::string> execArgs;  // JSON-array form: ["python", "app.py"]
  std::vector<Heredoc> heredocs;

  // The value of --name, or "" (the last one wins, as in BuildKit).
  std::string flag(std::string_view name) const;
  std::vector<std::string> flagValues(std::string_view name) const;  // repeated flags
  std::string where() const;                                         // "line 7: COPY"
};

struct Dockerfile {
  char escape = '\\';
  std::map<std::string, std::string> directives;  // "syntax", "escape", "check"
  std::vector<Instruction> instructions;
};

// Limits a parsed Dockerfile must stay within (agent config: build.max_dockerfile_bytes).
struct ParseLimits {
  size_t maxBytes = 1 << 20;
  size_t maxInstructions = 10000;
};

Result<Dockerfile> parseDockerfile(std::string_view text, const ParseLimits& limits = {});

// Splits "a=1 b='two words' c" (ENV, LABEL, ARG) into pairs; a key without '=' has no value
// and `hasValue` false. Values keep their quotes: expandWord() (shell_words.h) expands
// variables and removes quotes together, as quoting decides what is expanded.
struct KeyValue {
  std::string key;
  std::string value;
  bool hasValue = false;
};
// With legacyForm (ENV, LABEL), "KEY some value" is one pair whose value is the rest.
Result<std::vector<KeyValue>> parseKeyValues(const std::string& rest, char escape, bool legacyForm);

// Splits shell-like words at unquoted blanks (COPY sources, EXPOSE, VOLUME, FROM). Quotes
// and escapes are kept for expandWord().
Result<std::vector<std::string>> splitWords(const std::string& rest, char escape);

// Go-style durations as HEALTHCHECK takes them ("30s", "1m30s", "500ms") in nanoseconds.
Result<int64_t> parseDuration(const std::string& text);

// A human-readable dump of a parsed Dockerfile, one instruction per line (golden tests).
std::string describe(const Dockerfile& dockerfile);

}  // namespace spacelet::agent::build
