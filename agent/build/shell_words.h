// Word processing as the Dockerfile reference defines it for ADD, COPY, ENV, EXPOSE, FROM,
// LABEL, STOPSIGNAL, USER, VOLUME and WORKDIR: quotes, the escape character, and $VAR,
// ${VAR}, ${VAR:-default}, ${VAR:+alternative}, ${VAR-default}, ${VAR+alternative},
// ${VAR:?message}. Pure code.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spacelet/base/error.h"

namespace spacelet::agent::build {

// Looks a variable up; nullopt when it is not set.
using VarLookup = std::function<std::optional<std::string>(const std::string&)>;

// Expands variables (when `vars` is set) and removes quotes and escapes from one word.
Result<std::string> expandWord(std::string_view raw, const VarLookup* vars, char escape);

// Splits text at unquoted blanks, keeping quotes and escapes in each word.
Result<std::vector<std::string>> splitRawWords(std::string_view text, char escape);

}  // namespace spacelet::agent::build
