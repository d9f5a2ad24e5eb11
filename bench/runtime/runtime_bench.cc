// spacelet-runtime-bench: start latency, create->start->delete cycle time and peak RSS of
// OCI runtimes on the same bundle, interleaved so that machine noise hits every runtime
// alike. The last runtime given is the anchor; ratios are against it.
//   spacelet-runtime-bench [--runs N] [--busybox PATH] RUNTIME... ANCHOR
// Each runtime gets its own --root under a temp dir; the bundle runs /bin/true from a
// busybox rootfs with spacelet-run's default config (terminal off).
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

extern char** environ;
namespace fs = std::filesystem;

namespace {

struct Sample {
  double ms = 0;
  long maxRssKib = 0;
  int status = -1;
};

double nowMs() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// Runs argv with stdio on /dev/null; wall time from fork to reap, and the peak RSS of the
// runtime and every process it reaped (wait4's rusage). Not posix_spawn: its vfork child
// execs from the bench's address space, and execve carries the old address space's peak
// RSS into ru_maxrss, so every runtime would seem at least as big as this (C++, dynamically
// linked) bench. A fork child carries only the bench's anonymous pages (see anonRssKib).
Sample timed(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int devNull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  Sample s;
  double start = nowMs();
  pid_t pid = ::fork();
  if (pid == 0) {
    for (int fd = 0; fd < 3; ++fd) ::dup2(devNull, fd);
    ::execve(args[0], args.data(), environ);
    ::_exit(127);
  }
  ::close(devNull);
  if (pid < 0) return s;
  int status = 0;
  struct rusage ru {};
  ::wait4(pid, &status, 0, &ru);
  s.ms = nowMs() - start;
  s.maxRssKib = ru.ru_maxrss;
  s.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return s;
}

std::string makeBundle(const std::string& dir, const std::string& busybox,
                       const std::string& specRuntime) {
  fs::create_directories(dir + "/rootfs/bin");
  for (const char* d : {"proc", "sys", "dev", "tmp", "etc"})
    fs::create_directories(dir + "/rootfs/" + d);
  fs::copy_file(busybox, dir + "/rootfs/bin/busybox", fs::copy_options::overwrite_existing);
  fs::create_symlink("busybox", dir + "/rootfs/bin/true");
  fs::create_symlink("busybox", dir + "/rootfs/bin/sh");
  timed({specRuntime, "spec", "--bundle", dir});
  std::ifstream in(dir + "/config.json");
  nlohmann::json config = nlohmann::json::parse(in);
  config["process"]["terminal"] = false;
  config["process"]["args"] = {"/bin/true"};
  std::ofstream(dir + "/config.json") << config.dump(1);
  return dir;
}

// The bench's own anonymous RSS: the floor under every peak RSS it reports (a fork child
// starts with these pages mapped).
long anonRssKib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  long value = 0;
  while (status >> key) {
    if (key == "RssAnon:") {
      status >> value;
      return value;
    }
    status.ignore(256, '\n');
  }
  return value;
}

struct Stats {
  double median = 0, p10 = 0, p90 = 0;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))]; };
  return {at(0.5), at(0.1), at(0.9)};
}

struct Results {
  std::vector<double> run, cycle;
  long peakRssKib = 0;
  int failures = 0;
};

void measureOnce(const std::string& runtime, const std::string& root, const std::string& bundle,
                 int i, Results& r) {
  std::string id = "bench-" + std::to_string(i);
  Sample run = timed({runtime, "--root", root, "run", "--bundle", bundle, id});
  r.run.push_back(run.ms);
  r.peakRssKib = std::max(r.peakRssKib, run.maxRssKib);
  r.failures += run.status != 0;
  std::string cid = "cycle-" + std::to_string(i);
  Sample create = timed({runtime, "--root", root, "create", "--bundle", bundle, cid});
  Sample start = timed({runtime, "--root", root, "start", cid});
  Sample del = timed({runtime, "--root", root, "delete", "--force", cid});
  r.cycle.push_back(create.ms + start.ms + del.ms);
  r.failures += (create.status != 0) + (start.status != 0) + (del.status != 0);
  r.peakRssKib = std::max({r.peakRssKib, create.maxRssKib, start.maxRssKib, del.maxRssKib});
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 30;
  std::string busybox = "/bin/busybox";
  std::vector<std::string> runtimes;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc)
      runs = std::atoi(argv[++i]);
    else if (a == "--busybox" && i + 1 < argc)
      busybox = argv[++i];
    else
      runtimes.push_back(a);
  }
  if (runtimes.size() < 2 || runs < 1) {
    std::fprintf(stderr, "usage: spacelet-runtime-bench [--runs N] RUNTIME... ANCHOR\n");
    return 2;
  }
  char tmpl[] = "/tmp/spacelet-bench-XXXXXX";
  std::string work = ::mkdtemp(tmpl);
  std::string bundle = makeBundle(work + "/bundle", busybox, runtimes[0]);
  std::vector<Results> results(runtimes.size());
  for (int i = 0; i < runs; ++i) {
    for (size_t r = 0; r < runtimes.size(); ++r) {
      measureOnce(runtimes[r], work + "/root-" + std::to_string(r), bundle, i, results[r]);
    }
  }
  Stats anchorRun = stats(results.back().run), anchorCycle = stats(results.back().cycle);
  std::printf("%d runs each, interleaved; bundle runs /bin/true\n", runs);
  std::printf("%-40s %22s %22s %12s %8s\n", "runtime", "run ms p50 [p10,p90]",
              "cycle ms p50 [p10,p90]", "peak RSS KiB", "failed");
  for (size_t r = 0; r < runtimes.size(); ++r) {
    Stats run = stats(results[r].run), cycle = stats(results[r].cycle);
    std::printf("%-40s %7.1f [%5.1f,%5.1f] %7.1f [%5.1f,%5.1f] %12ld %8d\n", runtimes[r].c_str(),
                run.median, run.p10, run.p90, cycle.median, cycle.p10, cycle.p90,
                results[r].peakRssKib, results[r].failures);
    std::printf("%-40s run %.2fx, cycle %.2fx of the anchor\n", "", run.median / anchorRun.median,
                cycle.median / anchorCycle.median);
  }
  std::printf(
      "peak RSS: wait4's ru_maxrss of the runtime and the processes it reaped; the\n"
      "bench's own anonymous RSS (%ld KiB) is the floor under these figures\n",
      anonRssKib());
  std::error_code ec;
  fs::remove_all(work, ec);
  return 0;
}
