// libFuzzer target: layer extraction. Each input is unpacked into a fresh directory inside
// a sandbox directory; afterwards nothing may exist in the sandbox but that directory (no
// escape), and the directory is removed. Owners are not preserved and whiteouts that need
// privileges fail cleanly, so the fuzzer runs unprivileged too.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>

#include "agent/image/fs_util.h"
#include "agent/image/layer_unpack.h"
#include "spacelet/base/file_io.h"

namespace fs = std::filesystem;
using namespace spacelet::agent::image;

static std::string sandboxDir() {
  static std::string dir = [] {
    char tmpl[] = "/tmp/spacelet-layer-fuzz-XXXXXX";
    return std::string(::mkdtemp(tmpl));
  }();
  return dir;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string sandbox = sandboxDir();
  std::string dest = sandbox + "/root";
  fs::create_directory(dest);
  int in = ::memfd_create("layer", MFD_CLOEXEC);
  (void)!::write(in, data, size);
  ::lseek(in, 0, SEEK_SET);
  int destFd = ::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  UnpackOptions options;
  options.preserveOwnership = false;
  options.limits.maxLayerBytes = 64 << 20;
  options.limits.maxEntries = 10000;
  (void)unpackLayer(in, destFd, options);
  ::close(in);
  ::close(destFd);
  for (const auto& entry : fs::directory_iterator(sandbox)) {
    if (entry.path() != dest) {
      std::fprintf(stderr, "layer escaped: '%s' exists\n", entry.path().c_str());
      abort();
    }
  }
  auto parent = spacelet::openAt(AT_FDCWD, sandbox, O_RDONLY | O_DIRECTORY);
  (void)removeTreeAt(parent->get(), "root");
  return 0;
}
