// Flag parsing (see args.h).
#include "sandbox/cli/args.h"

#include <algorithm>

namespace spacelet::sandbox::cli {
namespace {

const FlagSpec* findFlag(std::span<const FlagSpec> specs, std::string_view name) {
  for (const auto& spec : specs) {
    if (spec.name == name || (!spec.shortName.empty() && spec.shortName == name)) return &spec;
  }
  return nullptr;
}

// One "-x"/"--xx[=v]" argument at args[i]; may consume args[i+1] as its value.
Result<void> parseOne(std::span<const std::string> args, size_t& i, std::span<const FlagSpec> specs,
                      ParsedArgs& out) {
  std::string_view arg = args[i];
  arg.remove_prefix(arg.rfind("--", 0) == 0 ? 2 : 1);
  size_t eq = arg.find('=');
  std::string_view name = arg.substr(0, eq);
  const FlagSpec* spec = findFlag(specs, name);
  if (spec == nullptr) {
    return failInvalid("unknown flag '" + args[i] + "' (see --help)");
  }
  std::string value;
  if (eq != std::string_view::npos) {
    value = std::string(arg.substr(eq + 1));
  } else if (spec->takesValue) {
    if (i + 1 >= args.size()) return failInvalid("flag '" + args[i] + "' needs a value");
    value = args[++i];
  } else {
    value = "true";
  }
  out.values[std::string(spec->name)].push_back(value);
  return {};
}

}  // namespace

bool ParsedArgs::flag(const std::string& name) const {
  auto it = values.find(name);
  return it != values.end() && !it->second.empty() && it->second.back() != "false";
}

std::string ParsedArgs::value(const std::string& name, const std::string& fallback) const {
  auto it = values.find(name);
  return it == values.end() || it->second.empty() ? fallback : it->second.back();
}

std::vector<std::string> ParsedArgs::all(const std::string& name) const {
  auto it = values.find(name);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

Result<ParsedArgs> parseFlags(std::span<const std::string> args, std::span<const FlagSpec> specs,
                              bool interspersed) {
  ParsedArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      out.positional.insert(out.positional.end(), args.begin() + static_cast<long>(i) + 1,
                            args.end());
      break;
    }
    bool isFlag = arg.size() > 1 && arg[0] == '-';
    if (!isFlag && !interspersed) {
      out.positional.insert(out.positional.end(), args.begin() + static_cast<long>(i), args.end());
      break;
    }
    if (!isFlag) {
      out.positional.push_back(arg);
      continue;
    }
    SPACELET_TRY(parseOne(args, i, specs, out));
  }
  return out;
}

Result<int> intValue(const ParsedArgs& parsed, const std::string& name, int fallback) {
  if (!parsed.has(name)) return fallback;
  std::string text = parsed.value(name);
  if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), ::isdigit)) {
    return failInvalid("--" + name + " '" + text + "': expected a non-negative number");
  }
  return std::stoi(text);
}

std::string usage(std::string_view synopsis, std::span<const FlagSpec> specs) {
  std::string text = "Usage: spacelet-run " + std::string(synopsis) + "\n";
  if (!specs.empty()) text += "\nOptions:\n";
  for (const auto& spec : specs) {
    std::string names = "  --" + std::string(spec.name);
    if (!spec.shortName.empty()) names += ", -" + std::string(spec.shortName);
    if (spec.takesValue) names += " VALUE";
    if (names.size() < 30) names.append(30 - names.size(), ' ');
    text += names + " " + std::string(spec.help) + "\n";
  }
  return text;
}

}  // namespace spacelet::sandbox::cli
