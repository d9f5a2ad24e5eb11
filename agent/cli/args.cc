// spacectl's argument parsing and help texts (see args.h).
#include "agent/cli/args.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace spacelet::agent::cli {
namespace {

const Command* findCommand(const std::vector<std::string>& words, size_t& used) {
  for (const auto& c : commands()) {
    std::istringstream in(c.name);
    std::vector<std::string> parts;
    for (std::string w; in >> w;) parts.push_back(w);
    if (parts.size() > words.size()) continue;
    bool match = true;
    for (size_t i = 0; i < parts.size(); ++i) match = match && parts[i] == words[i];
    if (match) {
      used = parts.size();
      return &c;
    }
  }
  return nullptr;
}

const OptionSpec* findOption(const Command& c, const std::string& arg) {
  for (const auto& o : c.options)
    if (o.name == arg || (!o.shortName.empty() && o.shortName == arg)) return &o;
  return nullptr;
}

Result<void> parseCommandArgs(const Command& c, const std::vector<std::string>& argv, size_t i,
                              Invocation& inv) {
  std::string where = "spacectl " + c.name;
  for (; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--help" || a == "-h") {
      inv.help = true;
      return {};
    }
    if (a == "--json") {
      inv.json = true;
      continue;
    }
    if (a == "--") {  // everything after is positional
      inv.args.positionals.insert(inv.args.positionals.end(),
                                  argv.begin() + static_cast<long>(i) + 1, argv.end());
      break;
    }
    bool negativeNumber =
        a.size() > 1 && a[0] == '-' && std::isdigit(static_cast<unsigned char>(a[1]));
    if (a.size() > 1 && a[0] == '-' && !negativeNumber) {
      std::string name = a, value;
      bool inlineValue = false;
      if (size_t eq = a.find('='); a.starts_with("--") && eq != std::string::npos) {
        name = a.substr(0, eq), value = a.substr(eq + 1), inlineValue = true;
      }
      const OptionSpec* o = findOption(c, name);
      if (!o)
        return failInvalid(where + ": unknown option '" + a + "'; see 'spacectl " + c.name +
                           " --help'");
      if (o->valueName.empty()) {
        if (inlineValue) return failInvalid(where + ": option '" + o->name + "' takes no value");
      } else if (!inlineValue) {
        if (i + 1 >= argv.size())
          return failInvalid(where + ": option '" + o->name + "' needs a value (" + o->valueName +
                             ")");
        value = argv[++i];
      }
      inv.args.options[o->name] = value;
      continue;
    }
    inv.args.positionals.push_back(a);
  }
  size_t n = inv.args.positionals.size();
  if (n < c.minPositionals || n > c.maxPositionals) {
    return failInvalid(where + ": expected " + (c.args.empty() ? "no arguments" : c.args) +
                       "; see 'spacectl " + c.name + " --help'");
  }
  return {};
}

// "spacectl secret ..." without a known subcommand: help for the group, or what to add.
Result<Invocation> groupOrUnknown(const std::string& word, const std::vector<std::string>& rest,
                                  Invocation& inv) {
  std::string subcommands;
  for (const auto& c : commands()) {
    if (c.name.starts_with(word + " "))
      subcommands += (subcommands.empty() ? "" : ", ") + c.name.substr(word.size() + 1);
  }
  if (subcommands.empty())
    return failInvalid("spacectl: unknown command '" + word + "'; see 'spacectl --help'");
  bool help = inv.help || std::any_of(rest.begin(), rest.end(), [](const std::string& a) {
                return a == "--help" || a == "-h";
              });
  if (help) {
    inv.help = true;
    inv.group = word;
    return inv;
  }
  return failInvalid("spacectl " + word + ": needs one of " + subcommands + "; see 'spacectl " +
                     word + " --help'");
}

}  // namespace

std::string ParsedArgs::get(const std::string& name, const std::string& fallback) const {
  auto it = options.find(name);
  return it == options.end() ? fallback : it->second;
}

Result<Invocation> parseCommandLine(const std::vector<std::string>& argv,
                                    std::string defaultSocket) {
  Invocation inv;
  inv.socket = std::move(defaultSocket);
  size_t i = 0;
  for (; i < argv.size() && argv[i].starts_with("-"); ++i) {
    const std::string& a = argv[i];
    if (a == "--json")
      inv.json = true;
    else if (a == "--help" || a == "-h")
      inv.help = true;
    else if (a == "--socket" && i + 1 < argv.size())
      inv.socket = argv[++i];
    else if (a.starts_with("--socket="))
      inv.socket = a.substr(9);
    else
      return failInvalid("spacectl: unknown option '" + a + "'; see 'spacectl --help'");
  }
  if (i == argv.size()) {
    if (inv.help) return inv;
    return failInvalid("spacectl: no command given; see 'spacectl --help'");
  }
  if (argv[i] == "help") {  // "spacectl help CMD" is "spacectl CMD --help"
    inv.help = true;
    ++i;
    if (i == argv.size()) return inv;
  }
  size_t used = 0;
  std::vector<std::string> rest(argv.begin() + static_cast<long>(i), argv.end());
  inv.command = findCommand(rest, used);
  if (!inv.command) return groupOrUnknown(argv[i], rest, inv);
  if (inv.help) return inv;
  SPACELET_TRY(parseCommandArgs(*inv.command, argv, i + used, inv));
  return inv;
}

std::string globalHelp() {
  std::string out =
      "Usage: spacectl [--socket PATH] [--json] COMMAND [ARGS...]\n\n"
      "Talks to spaceletd, the spacelet node agent, over its Unix socket.\n\n"
      "Commands:\n";
  for (const auto& c : commands()) {
    std::string left = "  " + c.name + (c.args.empty() ? "" : " " + c.args);
    if (left.size() < 34)
      left.resize(34, ' ');
    else
      left += "\n" + std::string(34, ' ');
    out += left + c.summary + "\n";
  }
  out +=
      "\nGlobal options:\n"
      "  --socket PATH   the agent's socket (default $SPACELET_SOCKET, else "
      "/run/spacelet/spacelet.sock)\n"
      "  --json          print the agent's JSON instead of tables\n"
      "  --help          this text; 'spacectl COMMAND --help' for one command\n\n"
      "Exit status:\n"
      "  0 success; 1 the agent refused the request or another failure; 2 bad command line;\n"
      "  3 not found; 4 permission denied (not root or in the agent's group); 5 the agent\n"
      "  cannot be reached; 6 conflict (exists, being deleted, not paused, limit reached);\n"
      "  7 wait timed out; 8 wait saw an error stage or the Space was deleted.\n";
  return out;
}

std::string groupHelp(const std::string& group) {
  std::string out = "Usage: spacectl " + group + " SUBCOMMAND ...\n\n";
  for (const auto& c : commands()) {
    if (!c.name.starts_with(group + " ")) continue;
    std::string left = "  " + c.name + (c.args.empty() ? "" : " " + c.args);
    if (left.size() < 34) left.resize(34, ' ');
    out += left + c.summary + "\n";
  }
  return out + "\n'spacectl " + group + " SUBCOMMAND --help' shows one of them.\n";
}

std::string commandHelp(const Command& c) {
  std::string out = "Usage: spacectl " + c.name + (c.args.empty() ? "" : " " + c.args) +
                    (c.options.empty() ? "" : " [OPTIONS]") + "\n\n" + c.summary + "\n";
  if (!c.details.empty()) out += "\n" + c.details + "\n";
  if (!c.options.empty()) {
    out += "\nOptions:\n";
    for (const auto& o : c.options) {
      std::string left = "  " + (o.shortName.empty() ? "" : o.shortName + ", ") + o.name +
                         (o.valueName.empty() ? "" : " " + o.valueName);
      if (left.size() < 28)
        left.resize(28, ' ');
      else
        left += "\n" + std::string(28, ' ');
      out += left + o.description + "\n";
    }
  }
  out += "\nGlobal options --socket PATH and --json apply too. Exit codes: 'spacectl --help'.\n";
  return out;
}

}  // namespace spacelet::agent::cli
