// Build benchmarks (root; a container runtime): a full build, a cached rebuild with no
// change (target: under 1 s), a rebuild after one app file changed, and layer unpack
// throughput against `tar -x` of the same layer, all in one run on this machine. Prints a
// table of medians and ratios (this machine is noisy: compare the ratios).
// Usage: build_bench [--runtime PATH] [--runs N] [--files N] [--file-kib N]
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "agent/build/builder.h"
#include "agent/image/layer_pack.h"
#include "agent/image/layer_unpack.h"
#include "spacelet/base/file_io.h"
#include "test_env.h"

namespace fs = std::filesystem;
using namespace spacelet;
using namespace spacelet::agent;

namespace {

struct Options {
  std::string runtime = testing::runtimePath();
  int runs = 5;
  int files = 400;
  int fileKib = 64;
};

double seconds(const std::function<void()>& f) {
  auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "build_bench: %s\n", what.c_str());
  std::exit(1);
}

void writeFile(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

// An app of `files` files of `kib` KiB each, plus requirements.txt.
void makeContext(const std::string& dir, const Options& o) {
  std::string block(static_cast<size_t>(o.fileKib) * 1024, 'x');
  for (int i = 0; i < o.files; ++i) {
    block[0] = static_cast<char>('a' + i % 26);
    writeFile(dir + "/app/module" + std::to_string(i) + ".py", block);
  }
  writeFile(dir + "/requirements.txt", "numpy\n");
  writeFile(dir + "/app/main.py", "print('v0')\n");
}

const char* kDockerfile = R"(FROM bench-base
WORKDIR /app
COPY requirements.txt /tmp/
RUN cat /tmp/requirements.txt > /tmp/installed && sleep 1
COPY --chown=1000:1000 app/ /app/
RUN ls /app | wc -l > /app/count
USER 1000
CMD ["sh", "-c", "cat /app/count"]
)";

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--runtime")
      o.runtime = argv[i + 1];
    else if (a == "--runs")
      o.runs = std::atoi(argv[i + 1]);
    else if (a == "--files")
      o.files = std::atoi(argv[i + 1]);
    else if (a == "--file-kib")
      o.fileKib = std::atoi(argv[i + 1]);
    else
      die("unknown option '" + a + "'");
  }
  if (::geteuid() != 0) die("needs root (overlayfs, user namespaces, containers)");
  testing::TempDir dir("spacelet-bench");
  fs::permissions(dir.path(),
                  fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
  auto store = image::ImageStore::open({dir / "store", 0, {}});
  if (!store) die(store.error().message);
  if (auto why = testing::makeBusyboxRootfs(dir / "busybox"); !why.empty()) die(why);
  auto rootFd = openAt(AT_FDCWD, dir / "busybox", O_RDONLY | O_DIRECTORY);
  auto base = image::packLayer(rootFd->get(), store->blobs(), {});
  if (!base) die(base.error().message);
  image::ImageConfig config;
  config.diffIds = {base->diffId};
  if (!store->commit("bench-base", config, {base->blob})) die("commit base");
  makeContext(dir / "context", o);
  std::string cgroup = build::ownCgroup(*readFileAt(AT_FDCWD, "/proc/self/cgroup"));
  build::BuilderSettings settings{o.runtime, dir / "work", dir / "cache", cgroup, "none"};
  int n = 0;
  auto runBuild = [&](bool noCache) {
    build::BuildOptions b;
    b.id = "bench" + std::to_string(++n);
    b.contextDir = dir / "context";
    b.dockerfile = kDockerfile;
    b.tag = "bench";
    b.noCache = noCache;
    auto r = build::build(*store, settings, b, [](std::string_view) {});
    if (!r) die(r.error().message);
    return *r;
  };
  std::vector<double> full, cached, oneFile;
  for (int i = 0; i < o.runs; ++i) full.push_back(seconds([&] { runBuild(true); }));
  for (int i = 0; i < o.runs; ++i)
    cached.push_back(seconds([&] {
      if (runBuild(false).cacheHits != 5) die("cached rebuild was not all cache hits");
    }));
  for (int i = 0; i < o.runs; ++i) {
    writeFile(dir / "context/app/main.py", "print('v" + std::to_string(i + 1) + "')\n");
    oneFile.push_back(seconds([&] {
      if (runBuild(false).cacheHits != 3) die("one-file rebuild did not reuse the first steps");
    }));
  }

  // Unpack throughput: the app layer (the largest) against tar -xzf of the same blob.
  auto image = store->get("bench");
  const auto& layer = image->manifest.layers[4];  // base, WORKDIR, COPY, RUN, then the app
  std::string blob = store->blobs().path(layer.digest);
  std::vector<double> ours, tar;
  for (int i = 0; i < o.runs; ++i) {
    std::string a = dir / ("u" + std::to_string(i)), t = dir / ("t" + std::to_string(i));
    fs::create_directories(a);
    fs::create_directories(t);
    ours.push_back(seconds([&] {
      auto in = openAt(AT_FDCWD, blob, O_RDONLY);
      auto out = openAt(AT_FDCWD, a, O_RDONLY | O_DIRECTORY);
      if (!image::unpackLayer(in->get(), out->get(), {})) die("unpack");
    }));
    tar.push_back(seconds([&] {
      if (testing::runCommand({"tar", "-xzf", blob, "-C", t}).status != 0) die("tar -x");
    }));
  }
  double mib = static_cast<double>(o.files) * o.fileKib / 1024.0;
  std::printf("runtime: %s; app: %d files x %d KiB (%.1f MiB); median of %d runs\n",
              o.runtime.c_str(), o.files, o.fileKib, mib, o.runs);
  std::printf("full build (no cache)          %8.3f s\n", median(full));
  std::printf("cached rebuild (no change)     %8.3f s   (%.1f%% of full)\n", median(cached),
              100 * median(cached) / median(full));
  std::printf("rebuild after one app file     %8.3f s   (%.1f%% of full)\n", median(oneFile),
              100 * median(oneFile) / median(full));
  std::printf("unpack app layer: spacelet     %8.3f s   %.0f MiB/s\n", median(ours),
              mib / median(ours));
  std::printf(
      "unpack app layer: tar -xzf     %8.3f s   %.0f MiB/s   (spacelet/tar time ratio %.2f)\n",
      median(tar), mib / median(tar), median(ours) / median(tar));
  return 0;
}
