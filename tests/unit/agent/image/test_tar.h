// Writes tar archives in memory for tests, including the malformed and malicious ones a
// real tool would refuse to produce (absolute paths, '..', device nodes, escaping links).
#pragma once

#include <string>
#include <vector>

namespace spacelet::agent::image::testing {

struct TarEntry {
  enum Kind { kFile, kDir, kSymlink, kHardlink, kCharDevice, kFifo } kind = kFile;
  std::string path;
  std::string data;  // file content, or the link target
  unsigned mode = 0644;
  long uid = 0;
  long gid = 0;
  long long declaredSize = -1;  // header size when it must differ from data.size()
};

enum class Compression { kNone, kGzip, kZstd };

std::string makeTar(const std::vector<TarEntry>& entries, Compression c = Compression::kNone);

}  // namespace spacelet::agent::image::testing
