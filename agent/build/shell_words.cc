// Quote, escape and variable processing of Dockerfile words (see shell_words.h).
#include "agent/build/shell_words.h"

#include <cctype>

namespace spacelet::agent::build {
namespace {

class WordLexer {
 public:
  WordLexer(std::string_view in, const VarLookup* vars, char escape)
      : in_(in), vars_(vars), escape_(escape) {}

  // Processes until `stop` (a closing '}' of ${...}) or the end.
  Result<std::string> run(char stop = '\0') {
    std::string out;
    while (pos_ < in_.size()) {
      char c = in_[pos_];
      if (stop && c == stop) return out;
      ++pos_;
      if (c == escape_) {
        if (pos_ < in_.size())
          out += in_[pos_++];
        else
          out += c;
      } else if (c == '\'') {
        SPACELET_TRY(singleQuoted(out));
      } else if (c == '"') {
        SPACELET_TRY(doubleQuoted(out));
      } else if (c == '$') {
        SPACELET_TRY(variable(out));
      } else {
        out += c;
      }
    }
    if (stop) return failInvalid("'" + std::string(in_) + "' has a '${' without its '}'");
    return out;
  }
  size_t pos() const { return pos_; }

 private:
  Result<void> singleQuoted(std::string& out) {
    size_t end = in_.find('\'', pos_);
    if (end == std::string_view::npos) {
      return failInvalid("unterminated single quote in '" + std::string(in_) + "'");
    }
    out.append(in_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return {};
  }

  Result<void> doubleQuoted(std::string& out) {
    while (pos_ < in_.size()) {
      char c = in_[pos_++];
      if (c == '"') return {};
      if (c == escape_ && pos_ < in_.size() &&
          (in_[pos_] == '"' || in_[pos_] == '$' || in_[pos_] == escape_)) {
        out += in_[pos_++];
      } else if (c == '$') {
        SPACELET_TRY(variable(out));
      } else {
        out += c;
      }
    }
    return failInvalid("unterminated double quote in '" + std::string(in_) + "'");
  }

  std::string name() {
    size_t start = pos_;
    while (pos_ < in_.size() &&
           (std::isalnum(static_cast<unsigned char>(in_[pos_])) || in_[pos_] == '_')) {
      ++pos_;
    }
    return std::string(in_.substr(start, pos_ - start));
  }

  std::optional<std::string> lookup(const std::string& n) const { return (*vars_)(n); }

  Result<void> variable(std::string& out) {
    bool braced = pos_ < in_.size() && in_[pos_] == '{';
    if (!vars_ || pos_ >= in_.size() ||
        !(braced || std::isalpha(static_cast<unsigned char>(in_[pos_])) || in_[pos_] == '_')) {
      out += '$';
      return {};
    }
    if (!braced) {
      out += lookup(name()).value_or("");
      return {};
    }
    ++pos_;
    std::string n = name();
    if (n.empty()) return failInvalid("bad substitution in '" + std::string(in_) + "'");
    return modifier(n, out);
  }

  // After "${NAME": "}", or one of ":-", ":+", ":?", "-", "+" and a word, then "}".
  Result<void> modifier(const std::string& n, std::string& out) {
    std::optional<std::string> value = lookup(n);
    if (pos_ < in_.size() && in_[pos_] == '}') {
      ++pos_;
      out += value.value_or("");
      return {};
    }
    bool colon = pos_ < in_.size() && in_[pos_] == ':';
    if (colon) ++pos_;
    char op = pos_ < in_.size() ? in_[pos_++] : '\0';
    if (op != '-' && op != '+' && op != '?') {
      return failInvalid("unsupported modifier in '${" + n + "...}' of '" + std::string(in_) + "'");
    }
    auto word = run('}');
    if (!word) return fail(std::move(word).error());
    ++pos_;  // the '}'
    bool set = value.has_value() && (!colon || !value->empty());
    if (op == '-') out += set ? *value : *word;
    if (op == '+') out += set ? *word : "";
    if (op == '?') {
      if (!set) return failInvalid("variable '" + n + "' is required: " + *word);
      out += *value;
    }
    return {};
  }

  std::string_view in_;
  const VarLookup* vars_;
  char escape_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::string> expandWord(std::string_view raw, const VarLookup* vars, char escape) {
  WordLexer lexer(raw, vars, escape);
  return lexer.run();
}

Result<std::vector<std::string>> splitRawWords(std::string_view text, char escape) {
  std::vector<std::string> words;
  std::string cur;
  char quote = '\0';
  bool inWord = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (!quote && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
      if (inWord) words.push_back(cur);
      cur.clear();
      inWord = false;
      continue;
    }
    inWord = true;
    cur += c;
    if (c == escape && quote != '\'' && i + 1 < text.size()) {
      cur += text[++i];
    } else if (!quote && (c == '\'' || c == '"')) {
      quote = c;
    } else if (quote && c == quote) {
      quote = '\0';
    }
  }
  if (quote) return failInvalid("unterminated quote in '" + std::string(text) + "'");
  if (inWord) words.push_back(cur);
  return words;
}

}  // namespace spacelet::agent::build
