// The probe's resource pressure: allocate memory, burn CPU, fork until refused.
// These exist for cgroup tests; the interesting outcome is often being killed.
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "probe.h"

namespace spacelet::probe {

// Touches MIB mebibytes one at a time, printing progress to stderr, so an OOM kill leaves a
// trail of how far it got.
nlohmann::json hogMemory(const Args& args) {
  long mib = args.empty() ? 1024 : std::stol(args[0]);
  const size_t kMiB = 1 << 20;
  long done = 0;
  for (; done < mib; ++done) {
    void* p = ::mmap(nullptr, kMiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) break;
    std::memset(p, 0xa5, kMiB);
    std::fprintf(stderr, "hog-memory: %ld MiB\n", done + 1);
  }
  return {{"ok", done == mib}, {"mib", done}};
}

// Busy-loops for SECONDS of wall time; reports the CPU time it got.
nlohmann::json spin(const Args& args) {
  double seconds = args.empty() ? 1.0 : std::stod(args[0]);
  struct timespec start {
  }, now{};
  ::clock_gettime(CLOCK_MONOTONIC, &start);
  volatile unsigned long counter = 0;
  do {
    for (int i = 0; i < 100000; ++i) counter = counter + 1;
    ::clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
  struct timespec cpu {};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
  return {{"ok", true}, {"cpu_seconds", cpu.tv_sec + cpu.tv_nsec / 1e9}};
}

// Forks children that sleep until fork fails (or MAX is reached); reports how many it made
// and the errno that stopped it, then kills and reaps them.
nlohmann::json forkBomb(const Args& args) {
  long max = args.empty() ? 100000 : std::stol(args[0]);
  std::vector<pid_t> children;
  int err = 0;
  while (static_cast<long>(children.size()) < max) {
    pid_t pid = ::fork();
    if (pid < 0) {
      err = errno;
      break;
    }
    if (pid == 0) {
      ::pause();
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) ::kill(pid, SIGKILL);
  for (pid_t pid : children) ::waitpid(pid, nullptr, 0);
  nlohmann::json r{{"ok", err == 0}, {"forked", children.size()}, {"errno", err}};
  if (err) r["error"] = std::strerror(err);
  return r;
}

nlohmann::json forkHold(const Args& args) {
  long max = args.empty() ? 100000 : std::stol(args[0]);
  long forked = 0;
  int err = 0;
  for (; forked < max; ++forked) {
    pid_t pid = ::fork();
    if (pid < 0) {
      err = errno;
      break;
    }
    if (pid == 0) {
      for (;;) ::pause();
    }
  }
  nlohmann::json r{{"ok", err == 0}, {"forked", forked}, {"errno", err}};
  std::string out = r.dump() + "\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  for (;;) ::pause();
}

}  // namespace spacelet::probe
