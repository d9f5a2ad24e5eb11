// A reader for glibc's ld.so.cache ("glibc-ld.so.cache1.1", the format ldconfig writes since
// glibc 2.32 and Debian 12's default), so the CDI generator finds the driver's libraries
// where the dynamic linker would. The old "ld.so-1.7.0" prefix, when present, is skipped.
// Pure over the bytes; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spacelet/base/error.h"

namespace spacelet::agent::gpu {

struct LdCacheEntry {
  std::string soname;  // the key: "libcuda.so.1"
  std::string path;    // where it is: "/usr/lib/x86_64-linux-gnu/libcuda.so.1"
  int32_t flags = 0;   // FLAG_ELF_LIBC6 | FLAG_X8664_LIB64 = 0x0303 on x86_64
  uint64_t hwcap = 0;
};

// Parses the cache bytes; entries keep the cache's order (the linker's search order).
// Errors say what is malformed ("truncated", "bad magic", "string offset out of range").
Result<std::vector<LdCacheEntry>> parseLdCache(std::string_view bytes);

// Reads and parses the cache file at `path` (default /etc/ld.so.cache).
Result<std::vector<LdCacheEntry>> readLdCache(const std::string& path);

// Whether an entry is a library for this process's own ABI (libc6 on x86_64: 0x0303).
bool isNativeLibrary(int32_t flags);

}  // namespace spacelet::agent::gpu
