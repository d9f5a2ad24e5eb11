// spacectl: the command-line client of spaceletd. Parses the command line, connects to the
// agent's socket and runs one command. See `spacectl --help` and docs/operations.md.
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <iterator>

#include "agent/cli/args.h"
#include "agent/cli/command.h"

namespace {

constexpr const char* kDefaultSocket = "/run/spacelet/spacelet.sock";

// A value from stdin when it is not a terminal (one trailing newline dropped), else from a
// prompt on the terminal with echo off.
std::string readSecret(const std::string& prompt) {
  if (!::isatty(STDIN_FILENO)) {
    std::string value((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (!value.empty() && value.back() == '\n') value.pop_back();
    if (!value.empty() && value.back() == '\r') value.pop_back();
    return value;
  }
  std::cerr << prompt << std::flush;
  struct termios old {};
  bool restore = ::tcgetattr(STDIN_FILENO, &old) == 0;
  if (restore) {
    struct termios quiet = old;
    quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string value;
  std::getline(std::cin, value);
  if (restore) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  std::cerr << "\n";
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace spacelet::agent::cli;
  const char* env = ::getenv("SPACELET_SOCKET");
  std::vector<std::string> args(argv + 1, argv + argc);
  auto inv = parseCommandLine(args, env && *env ? env : kDefaultSocket);
  if (!inv) {
    std::cerr << inv.error().message << "\n";
    return kExitUsage;
  }
  if (inv->help) {
    if (inv->command)
      std::cout << commandHelp(*inv->command);
    else if (!inv->group.empty())
      std::cout << groupHelp(inv->group);
    else
      std::cout << globalHelp();
    return kExitOk;
  }
  Client client(inv->socket);
  Context ctx{client, inv->json, std::cout, std::cerr, readSecret};
  int status = inv->command->run(ctx, inv->args);
  std::cout.flush();
  return status;
}
