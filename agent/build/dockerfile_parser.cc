// The Dockerfile parser (see dockerfile.h): directives, logical lines, heredocs, flags,
// exec form, and per-instruction checks.
#include <cctype>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "agent/build/dockerfile.h"
#include "agent/build/dockerfile_checks.h"
#include "agent/build/shell_words.h"

namespace spacelet::agent::build {
namespace {

struct InstructionRule {
  std::set<std::string> flags;  // allowed flag names
  bool heredocs = false;
};

const std::map<std::string, InstructionRule>& rules() {
  static const std::map<std::string, InstructionRule> kRules = {
      {"FROM", {{"platform"}}},
      {"RUN", {{"mount", "network", "security"}, true}},
      {"COPY", {{"from", "chown", "chmod", "link", "parents", "exclude"}, true}},
      {"ADD", {{"chown", "chmod", "checksum", "keep-git-dir", "link", "exclude"}, true}},
      {"WORKDIR", {}},
      {"ENV", {}},
      {"ARG", {}},
      {"USER", {}},
      {"EXPOSE", {}},
      {"CMD", {}},
      {"ENTRYPOINT", {}},
      {"LABEL", {}},
      {"SHELL", {}},
      {"HEALTHCHECK", {{"interval", "timeout", "start-period", "start-interval", "retries"}}},
      {"VOLUME", {}},
      {"STOPSIGNAL", {}},
      {"MAINTAINER", {}},
  };
  return kRules;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool isComment(const std::string& line) {
  std::string t = trim(line);
  return !t.empty() && t[0] == '#';
}

std::vector<std::string> physicalLines(std::string_view text) {
  std::vector<std::string> lines;
  std::string cur;
  std::istringstream in{std::string(text)};
  while (std::getline(in, cur)) {
    if (!cur.empty() && cur.back() == '\r') cur.pop_back();
    lines.push_back(cur);
  }
  return lines;
}

Unexpected lineError(int line, const std::string& keyword, const std::string& message) {
  std::string where = "Dockerfile line " + std::to_string(line);
  if (!keyword.empty()) where += ": " + keyword;
  return failInvalid(where + ": " + message);
}

// Reads the parser directives at the top ("# escape=`"); returns the first line after them.
Result<size_t> readDirectives(const std::vector<std::string>& lines, Dockerfile& df) {
  static const std::regex kDirective(R"(^\s*#\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*?)\s*$)");
  static const std::set<std::string> kKnown = {"syntax", "escape", "check"};
  size_t i = 0;
  for (; i < lines.size(); ++i) {
    std::smatch m;
    if (!std::regex_match(lines[i], m, kDirective)) break;
    std::string key = m[1].str();
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!kKnown.contains(key)) break;
    if (df.directives.contains(key)) {
      return lineError(static_cast<int>(i + 1), "", "parser directive '" + key + "' is repeated");
    }
    df.directives[key] = m[2].str();
  }
  if (auto it = df.directives.find("escape"); it != df.directives.end()) {
    if (it->second != "\\" && it->second != "`") {
      return lineError(1, "", "escape directive '" + it->second + "' must be '\\' or '`'");
    }
    df.escape = it->second[0];
  }
  return i;
}

// Joins a logical line starting at lines[i]; advances i past it. Comment and empty lines
// inside a continuation are dropped, as BuildKit does.
std::string joinLogicalLine(const std::vector<std::string>& lines, size_t& i, char escape) {
  std::string out;
  while (i < lines.size()) {
    std::string line = lines[i++];
    std::string right = line.substr(0, line.find_last_not_of(" \t") + 1);
    if (!right.empty() && right.back() == escape) {
      out += right.substr(0, right.size() - 1);
      while (i < lines.size() && (isComment(lines[i]) || trim(lines[i]).empty())) ++i;
      continue;
    }
    out += line;
    break;
  }
  return out;
}

struct HeredocMarker {
  std::string name;
  bool expand = true;
  bool stripTabs = false;
};

// Heredoc markers (<<EOF, <<-EOF, <<"EOF") outside quotes, in order.
std::vector<HeredocMarker> heredocMarkers(const std::string& rest) {
  static const std::regex kMarker(R"re(^<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2)re");
  std::vector<HeredocMarker> out;
  char quote = '\0';
  for (size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    if (quote) {
      if (c == quote) quote = '\0';
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      continue;
    }
    std::smatch m;
    std::string tail = rest.substr(i);
    if (c == '<' && std::regex_search(tail, m, kMarker)) {
      out.push_back({m[3].str(), m[2].str().empty(), !m[1].str().empty()});
      i += static_cast<size_t>(m.length(0)) - 1;
    }
  }
  return out;
}

Result<void> readHeredocs(const std::vector<std::string>& lines, size_t& i, Instruction& ins) {
  for (const auto& marker : heredocMarkers(ins.rest)) {
    Heredoc doc{marker.name, "", marker.expand};
    bool closed = false;
    while (i < lines.size()) {
      std::string line = lines[i++];
      if (marker.stripTabs) line.erase(0, line.find_first_not_of('\t'));
      if (line == marker.name) {
        closed = true;
        break;
      }
      doc.content += line + "\n";
    }
    if (!closed) {
      return lineError(ins.line, ins.keyword, "heredoc '" + marker.name + "' is never closed");
    }
    ins.heredocs.push_back(std::move(doc));
  }
  return {};
}

Result<void> readFlags(Instruction& ins) {
  const auto& allowed = rules().at(ins.keyword).flags;
  std::string rest = ins.rest;
  while (rest.starts_with("--")) {
    size_t end = rest.find_first_of(" \t");
    std::string token = rest.substr(2, end == std::string::npos ? std::string::npos : end - 2);
    rest = end == std::string::npos ? "" : trim(rest.substr(end));
    size_t eq = token.find('=');
    Flag flag{token.substr(0, eq), eq == std::string::npos ? "" : token.substr(eq + 1)};
    if (!allowed.contains(flag.name)) {
      std::string list;
      for (const auto& f : allowed) list += (list.empty() ? "--" : ", --") + f;
      return lineError(ins.line, ins.keyword,
                       "unknown flag '--" + flag.name + "'" +
                           (list.empty() ? " (it takes no flags)" : " (allowed: " + list + ")"));
    }
    ins.flags.push_back(std::move(flag));
  }
  ins.rest = rest;
  return {};
}

void readExecForm(Instruction& ins) {
  if (ins.rest.empty() || ins.rest[0] != '[') return;
  try {
    auto j = nlohmann::json::parse(ins.rest);
    if (!j.is_array()) return;
    std::vector<std::string> args;
    for (const auto& a : j) {
      if (!a.is_string()) return;
      args.push_back(a.get<std::string>());
    }
    ins.execForm = true;
    ins.execArgs = std::move(args);
  } catch (const std::exception&) {
    // Not JSON: the shell form, as Docker treats it.
  }
}

// The line (1-based) of the first byte that is not valid UTF-8, or 0.
int firstInvalidUtf8Line(std::string_view text) {
  int line = 1;
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') ++line;
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    if (len == 0 || i + len > text.size()) return line;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return line;
    }
    i += len;
  }
  return 0;
}

}  // namespace

std::string Instruction::flag(std::string_view name) const {
  std::string value;
  for (const auto& f : flags) {
    if (f.name == name) value = f.value;
  }
  return value;
}

std::vector<std::string> Instruction::flagValues(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& f : flags) {
    if (f.name == name) values.push_back(f.value);
  }
  return values;
}

std::string Instruction::where() const {
  return "Dockerfile line " + std::to_string(line) + ": " + keyword;
}

namespace {

Result<Instruction> readInstruction(const std::vector<std::string>& lines, size_t& i, char escape) {
  Instruction ins;
  ins.line = static_cast<int>(i + 1);
  std::string logical = trim(joinLogicalLine(lines, i, escape));
  size_t space = logical.find_first_of(" \t");
  std::string word = logical.substr(0, space);
  ins.keyword = upper(word);
  ins.rest = space == std::string::npos ? "" : trim(logical.substr(space));
  ins.text = ins.keyword + (ins.rest.empty() ? "" : " " + ins.rest);
  if (ins.keyword == "ONBUILD") {
    return lineError(ins.line, ins.keyword, "ONBUILD is not supported by spacelet's builder");
  }
  if (!rules().contains(ins.keyword)) {
    return lineError(ins.line, "", "unknown instruction '" + word + "'");
  }
  SPACELET_TRY(readFlags(ins));
  if (rules().at(ins.keyword).heredocs) SPACELET_TRY(readHeredocs(lines, i, ins));
  readExecForm(ins);
  SPACELET_TRY(checkInstruction(ins, escape));
  return ins;
}

}  // namespace

Result<Dockerfile> parseDockerfile(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.maxBytes) {
    return failInvalid("Dockerfile is " + std::to_string(text.size()) +
                       " bytes, over the limit of " + std::to_string(limits.maxBytes) +
                       " (build.max_dockerfile_bytes)");
  }
  if (int bad = firstInvalidUtf8Line(text)) {
    return lineError(bad, "", "the Dockerfile is not valid UTF-8; save it as UTF-8");
  }
  Dockerfile df;
  std::vector<std::string> lines = physicalLines(text);
  auto start = readDirectives(lines, df);
  if (!start) return fail(std::move(start).error());
  for (size_t i = *start; i < lines.size();) {
    if (trim(lines[i]).empty() || isComment(lines[i])) {
      ++i;
      continue;
    }
    auto ins = readInstruction(lines, i, df.escape);
    if (!ins) return fail(std::move(ins).error());
    if (df.instructions.empty() && ins->keyword != "FROM" && ins->keyword != "ARG") {
      return lineError(ins->line, ins->keyword, "the first instruction must be FROM (or ARG)");
    }
    df.instructions.push_back(std::move(*ins));
    if (df.instructions.size() > limits.maxInstructions) {
      return failInvalid("Dockerfile has more than " + std::to_string(limits.maxInstructions) +
                         " instructions");
    }
  }
  if (df.instructions.empty()) return failInvalid("Dockerfile has no instructions; add a FROM");
  bool hasFrom = false;
  for (const auto& ins : df.instructions) hasFrom = hasFrom || ins.keyword == "FROM";
  if (!hasFrom) return failInvalid("Dockerfile has no FROM instruction");
  return df;
}

std::string describe(const Dockerfile& df) {
  std::ostringstream out;
  for (const auto& [k, v] : df.directives) out << "# " << k << "=" << v << "\n";
  for (const auto& ins : df.instructions) {
    out << ins.line << " " << ins.keyword;
    for (const auto& f : ins.flags) out << " --" << f.name << "=" << f.value;
    if (ins.execForm) {
      out << " exec"
          << nlohmann::json(ins.execArgs)
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      out << " shell"
          << nlohmann::json(ins.rest).dump(-1, ' ', false,
                                           nlohmann::json::error_handler_t::replace);
    }
    for (const auto& h : ins.heredocs) {
      out << " heredoc(" << h.name << (h.expand ? "" : ",quoted") << ")"
          << nlohmann::json(h.content).dump(-1, ' ', false,
                                            nlohmann::json::error_handler_t::replace);
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace spacelet::agent::build
