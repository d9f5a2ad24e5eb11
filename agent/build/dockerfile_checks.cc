// Per-instruction checks, key=value and word splitting, durations (see dockerfile.h).
#include "agent/build/dockerfile_checks.h"

#include <cctype>
#include <map>
#include <regex>

#include "agent/build/shell_words.h"

namespace spacelet::agent::build {
namespace {

Unexpected insError(const Instruction& ins, const std::string& message) {
  return failInvalid(ins.where() + ": " + message);
}

bool validVarName(const std::string& s) {
  static const std::regex kName(R"(^[A-Za-z_][A-Za-z0-9_]*$)");
  return std::regex_match(s, kName);
}

Result<void> checkFrom(const Instruction& ins, char escape) {
  auto words = splitWords(ins.rest, escape);
  if (!words) return insError(ins, words.error().message);
  if (words->size() == 1) return {};
  std::string as = words->size() == 3 ? (*words)[1] : "";
  for (auto& c : as) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (as != "AS")
    return insError(ins, "expected 'FROM <image> [AS <name>]', got '" + ins.rest + "'");
  static const std::regex kStage(R"(^[a-zA-Z][a-zA-Z0-9_.-]*$)");
  if (!std::regex_match((*words)[2], kStage)) {
    return insError(ins, "stage name '" + (*words)[2] +
                             "' must start with a letter and use letters, digits, '_', '.', '-'");
  }
  return {};
}

Result<void> checkCopy(const Instruction& ins, char escape) {
  size_t count = ins.execForm ? ins.execArgs.size() : 0;
  if (!ins.execForm) {
    auto words = splitWords(ins.rest, escape);
    if (!words) return insError(ins, words.error().message);
    count = words->size();
  }
  if (count < 2) return insError(ins, "needs at least one source and a destination");
  std::string chmod = ins.flag("chmod");
  static const std::regex kOctal(R"(^[0-7]{3,4}$)");
  if (!chmod.empty() && !std::regex_match(chmod, kOctal)) {
    return insError(ins, "--chmod='" + chmod + "' must be octal, like 755 or 0644");
  }
  for (const auto& f : ins.flags) {
    if ((f.name == "from" || f.name == "chown") && f.value.empty()) {
      return insError(ins, "--" + f.name + " needs a value");
    }
  }
  return {};
}

Result<void> checkHealthcheck(const Instruction& ins) {
  for (const auto& f : ins.flags) {
    if (f.name == "retries") {
      if (f.value.empty() || f.value.find_first_not_of("0123456789") != std::string::npos) {
        return insError(ins, "--retries='" + f.value + "' must be a whole number");
      }
    } else if (auto d = parseDuration(f.value); !d) {
      return insError(ins, "--" + f.name + ": " + d.error().message);
    }
  }
  std::string head = ins.rest.substr(0, ins.rest.find_first_of(" \t"));
  for (auto& c : head) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (head == "NONE" && ins.rest.size() == 4) return {};
  if (head == "CMD" && ins.rest.size() > 4) return {};
  return insError(ins, "expected 'HEALTHCHECK NONE' or 'HEALTHCHECK [options] CMD command'");
}

Result<void> checkKeyValues(const Instruction& ins, char escape) {
  bool isArg = ins.keyword == "ARG";
  auto pairs = parseKeyValues(ins.rest, escape, !isArg);
  if (!pairs) return insError(ins, pairs.error().message);
  if (pairs->empty()) return insError(ins, "needs at least one name");
  for (const auto& kv : *pairs) {
    if (!isArg && !kv.hasValue) return insError(ins, "'" + kv.key + "' needs a value (KEY=value)");
    if (ins.keyword != "LABEL" && !validVarName(kv.key)) {
      return insError(ins, "'" + kv.key + "' is not a valid variable name");
    }
  }
  return {};
}

Result<void> needsArguments(const Instruction& ins) {
  if (ins.rest.empty() && ins.heredocs.empty()) return insError(ins, "needs an argument");
  return {};
}

}  // namespace

Result<void> checkInstruction(const Instruction& ins, char escape) {
  const std::string& k = ins.keyword;
  if (k == "FROM") {
    SPACELET_TRY(needsArguments(ins));
    return checkFrom(ins, escape);
  }
  if (k == "COPY" || k == "ADD") return checkCopy(ins, escape);
  if (k == "ENV" || k == "LABEL" || k == "ARG") return checkKeyValues(ins, escape);
  if (k == "HEALTHCHECK") return checkHealthcheck(ins);
  if (k == "SHELL" && (!ins.execForm || ins.execArgs.empty())) {
    return insError(ins, "needs the JSON form, like SHELL [\"/bin/bash\", \"-c\"]");
  }
  if (k == "RUN" && ins.execForm && ins.execArgs.empty()) return insError(ins, "needs a command");
  if (k == "USER") {
    auto words = splitWords(ins.rest, escape);
    if (!words || words->size() != 1) return insError(ins, "takes exactly one user[:group]");
  }
  if (k == "CMD" || k == "ENTRYPOINT") return ins.execForm ? Result<void>() : needsArguments(ins);
  return needsArguments(ins);
}

Result<std::vector<std::string>> splitWords(const std::string& rest, char escape) {
  return splitRawWords(rest, escape);
}

Result<std::vector<KeyValue>> parseKeyValues(const std::string& rest, char escape,
                                             bool legacyForm) {
  auto words = splitRawWords(rest, escape);
  if (!words) return fail(std::move(words).error());
  std::vector<KeyValue> out;
  if (words->empty()) return out;
  if (legacyForm && (*words)[0].find('=') == std::string::npos) {
    // "ENV KEY value with spaces": the value is the text after the key.
    if (words->size() == 1) return std::vector<KeyValue>{{(*words)[0], "", false}};
    std::string value = rest.substr(rest.find((*words)[0]) + (*words)[0].size());
    value.erase(0, value.find_first_not_of(" \t"));
    return std::vector<KeyValue>{{(*words)[0], value, true}};
  }
  for (const auto& w : *words) {
    size_t eq = w.find('=');
    if (eq == std::string::npos) {
      out.push_back({w, "", false});
    } else {
      out.push_back({w.substr(0, eq), w.substr(eq + 1), true});
    }
  }
  return out;
}

Result<int64_t> parseDuration(const std::string& text) {
  static const std::map<std::string, int64_t> kUnits = {
      {"ns", 1},           {"us", 1000},         {"ms", 1000000},
      {"s", 1000000000LL}, {"m", 60000000000LL}, {"h", 3600000000000LL}};
  static const std::regex kPart(R"(^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h))");
  if (text.empty()) return failInvalid("duration is empty; use e.g. '30s' or '1m30s'");
  int64_t total = 0;
  std::string rest = text;
  std::smatch m;
  while (!rest.empty()) {
    if (!std::regex_search(rest, m, kPart)) {
      return failInvalid("duration '" + text + "' is not like '30s', '1m30s' or '500ms'");
    }
    total +=
        static_cast<int64_t>(std::stod(m[1].str()) * static_cast<double>(kUnits.at(m[2].str())));
    rest = m.suffix().str();
  }
  return total;
}

}  // namespace spacelet::agent::build
