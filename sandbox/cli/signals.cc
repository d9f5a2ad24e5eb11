// Signal name parsing (see signals.h); the table follows signal(7).
#include "sandbox/cli/signals.h"

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <utility>

namespace spacelet::sandbox::cli {
namespace {

constexpr std::pair<std::string_view, int> kSignals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

Unexpected unknown(std::string_view text) {
  return failInvalid("unknown signal '" + std::string(text) +
                     "' (use a name like TERM or KILL, or a number like 9)");
}

std::optional<int> number(std::string_view digits) {
  if (digits.empty() || digits.size() > 3 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return std::isdigit(c); })) {
    return std::nullopt;
  }
  return std::stoi(std::string(digits));
}

// "RTMIN", "RTMIN+3", "RTMAX-2".
std::optional<int> realtime(std::string_view name) {
  bool min = name.rfind("RTMIN", 0) == 0, max = name.rfind("RTMAX", 0) == 0;
  if (!min && !max) return std::nullopt;
  std::string_view rest = name.substr(5);
  int base = min ? SIGRTMIN : SIGRTMAX;
  if (rest.empty()) return base;
  auto offset = number(rest.substr(1));
  if (!offset || (rest[0] != '+' && rest[0] != '-')) return std::nullopt;
  return rest[0] == '+' ? base + *offset : base - *offset;
}

}  // namespace

Result<int> parseSignal(std::string_view text) {
  if (auto n = number(text)) {
    if (*n < 1 || *n >= NSIG) return unknown(text);
    return *n;
  }
  std::string name(text);
  std::transform(name.begin(), name.end(), name.begin(), ::toupper);
  if (name.rfind("SIG", 0) == 0) name = name.substr(3);
  for (const auto& [n, sig] : kSignals) {
    if (n == name) return sig;
  }
  auto rt = realtime(name);
  if (rt && *rt >= SIGRTMIN && *rt <= SIGRTMAX) return *rt;
  return unknown(text);
}

}  // namespace spacelet::sandbox::cli
