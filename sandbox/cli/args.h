// Command-line flags the way runc (urfave/cli over Go's flag package) reads them:
// "--name value", "--name=value", "-n value", bool flags as "--name" or "--name=false",
// repeatable flags, "--" ending flags. Pure, so every command's parsing is unit-tested.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spacelet/base/error.h"

namespace spacelet::sandbox::cli {

struct FlagSpec {
  std::string_view name;       // long name, without "--"
  std::string_view shortName;  // one letter, or empty
  bool takesValue = false;
  std::string_view help;
};

struct ParsedArgs {
  std::map<std::string, std::vector<std::string>> values;  // by long name; bools hold "true"
  std::vector<std::string> positional;

  bool has(const std::string& name) const { return values.count(name) != 0; }
  bool flag(const std::string& name) const;  // a bool flag that is set and not "false"
  std::string value(const std::string& name, const std::string& fallback = "") const;
  std::vector<std::string> all(const std::string& name) const;
};

// `interspersed`: flags may follow positional arguments (else parsing stops at the first
// positional argument, which exec and ps need: the rest is the command).
Result<ParsedArgs> parseFlags(std::span<const std::string> args, std::span<const FlagSpec> specs,
                              bool interspersed);

// A non-negative integer flag value ("--preserve-fds 2"); the error names the flag.
Result<int> intValue(const ParsedArgs& parsed, const std::string& name, int fallback);

// "Usage: ..." plus one line per flag.
std::string usage(std::string_view synopsis, std::span<const FlagSpec> specs);

}  // namespace spacelet::sandbox::cli
