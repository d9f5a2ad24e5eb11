// parseLdCache(): the new-format header (magic, nlibs, len_strings, flags, extension offset),
// then nlibs fixed-size entries whose key/value are offsets into the string table, counted
// from the start of the new-format header (see glibc's elf/cache.c and sysdeps/generic/
// dl-cache.h). Multi-byte fields are in the host's byte order; the header's flags say which.
#include "agent/gpu/ldcache.h"

#include <cstring>

#include "spacelet/base/file_io.h"

namespace spacelet::agent::gpu {
namespace {

constexpr std::string_view kOldMagic = "ld.so-1.7.0";
constexpr std::string_view kNewMagic = "glibc-ld.so.cache1.1";
constexpr size_t kOldHeaderSize = 16;  // magic[11], padding, uint32 nlibs
constexpr size_t kOldEntrySize = 12;   // int32 flags, uint32 key, uint32 value
constexpr size_t kNewHeaderSize = 48;  // magic[20], nlibs, len_strings, flags[4], ext, unused[3]
constexpr size_t kNewEntrySize = 24;   // int32 flags, uint32 key, value, osversion, uint64 hwcap
constexpr uint8_t kEndianMask = 3, kLittleEndian = 2, kBigEndian = 3;

constexpr int32_t kFlagTypeMask = 0x00ff, kFlagElfLibc6 = 0x0003, kFlagRequiredMask = 0xff00;

template <typename T>
T load(std::string_view bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

// Where the new-format header starts: 0, or after the old-format table when both are present.
Result<size_t> newHeaderOffset(std::string_view bytes) {
  if (bytes.substr(0, kNewMagic.size()) == kNewMagic) return size_t{0};
  if (bytes.substr(0, kOldMagic.size()) != kOldMagic) {
    return failInvalid("not an ld.so.cache (bad magic); regenerate it with ldconfig");
  }
  if (bytes.size() < kOldHeaderSize) return failInvalid("ld.so.cache is truncated");
  size_t offset = kOldHeaderSize + size_t{load<uint32_t>(bytes, 12)} * kOldEntrySize;
  offset = (offset + 7) & ~size_t{7};  // aligned to the new header's alignment
  if (bytes.size() < offset || bytes.substr(offset, kNewMagic.size()) != kNewMagic) {
    return failInvalid("ld.so.cache has only the old format; regenerate it with ldconfig");
  }
  return offset;
}

Result<std::string> stringAt(std::string_view cache, uint32_t offset) {
  if (offset >= cache.size()) return failInvalid("ld.so.cache string offset out of range");
  size_t end = cache.find('\0', offset);
  if (end == std::string_view::npos) return failInvalid("ld.so.cache string is not terminated");
  return std::string(cache.substr(offset, end - offset));
}

Result<LdCacheEntry> entryAt(std::string_view cache, size_t offset) {
  LdCacheEntry entry;
  entry.flags = load<int32_t>(cache, offset);
  auto key = stringAt(cache, load<uint32_t>(cache, offset + 4));
  if (!key) return fail(std::move(key).error());
  auto value = stringAt(cache, load<uint32_t>(cache, offset + 8));
  if (!value) return fail(std::move(value).error());
  entry.soname = std::move(*key);
  entry.path = std::move(*value);
  entry.hwcap = load<uint64_t>(cache, offset + 16);
  return entry;
}

bool hostIsLittleEndian() {
  uint16_t probe = 1;
  return *reinterpret_cast<const uint8_t*>(&probe) == 1;
}

}  // namespace

Result<std::vector<LdCacheEntry>> parseLdCache(std::string_view bytes) {
  auto start = newHeaderOffset(bytes);
  if (!start) return fail(std::move(start).error());
  std::string_view cache = bytes.substr(*start);
  if (cache.size() < kNewHeaderSize) return failInvalid("ld.so.cache header is truncated");
  uint8_t endian = static_cast<uint8_t>(cache[28]) & kEndianMask;
  if (endian == kLittleEndian || endian == kBigEndian) {
    if ((endian == kLittleEndian) != hostIsLittleEndian()) {
      return failInvalid("ld.so.cache was written for the other byte order");
    }
  }
  uint32_t count = load<uint32_t>(cache, 20);
  if (kNewHeaderSize + size_t{count} * kNewEntrySize > cache.size()) {
    return failInvalid("ld.so.cache claims " + std::to_string(count) + " entries but is truncated");
  }
  std::vector<LdCacheEntry> entries;
  entries.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    auto entry = entryAt(cache, kNewHeaderSize + size_t{i} * kNewEntrySize);
    if (!entry) return fail(std::move(entry).error());
    entries.push_back(std::move(*entry));
  }
  return entries;
}

Result<std::vector<LdCacheEntry>> readLdCache(const std::string& path) {
  auto bytes = readFileAt(AT_FDCWD, path);
  if (!bytes) return fail(std::move(bytes).error());
  auto entries = parseLdCache(*bytes);
  if (!entries) return fail(std::move(entries).error().withContext("'" + path + "'"));
  return entries;
}

bool isNativeLibrary(int32_t flags) {
  if ((flags & kFlagTypeMask) != kFlagElfLibc6) return false;
  int32_t required = flags & kFlagRequiredMask;
#if defined(__x86_64__) && defined(__ILP32__)
  return required == 0x0800;  // FLAG_X8664_LIBX32
#elif defined(__x86_64__)
  return required == 0x0300;  // FLAG_X8664_LIB64
#elif defined(__aarch64__)
  return required == 0x0a00;  // FLAG_AARCH64_LIB64
#elif defined(__powerpc64__)
  return required == 0x0500;  // FLAG_POWERPC_LIB64
#elif defined(__s390x__)
  return required == 0x0400;  // FLAG_S390_LIB64
#else
  return true;  // other ABIs: any libc6 entry; the cache holds the host's own libraries
#endif
}

}  // namespace spacelet::agent::gpu
