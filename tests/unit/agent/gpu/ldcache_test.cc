// parseLdCache(): checked against ldconfig itself. The host's own cache must parse to exactly
// what `ldconfig -p` prints, and a cache ldconfig builds over fake driver libraries must list
// them with their sonames. Malformed caches fail with a reason.
#include "agent/gpu/ldcache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>

#include "gpu_test_util.h"
#include "test_env.h"

namespace spacelet::agent::gpu {
namespace {

using ::testing::HasSubstr;

// (soname, path) pairs from `ldconfig -p -C cache`, in printed order.
std::vector<std::pair<std::string, std::string>> ldconfigListing(const std::string& cache) {
  auto result = spacelet::testing::runCommand({"ldconfig", "-p", "-C", cache});
  EXPECT_EQ(result.status, 0) << result.output;
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(result.output);
  std::string line;
  while (std::getline(in, line)) {
    size_t arrow = line.find(" => ");
    if (line.empty() || line[0] != '\t' || arrow == std::string::npos) continue;
    out.emplace_back(line.substr(1, line.find(' ') - 1), line.substr(arrow + 4));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> pairs(const std::vector<LdCacheEntry>& entries) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : entries) out.emplace_back(e.soname, e.path);
  return out;
}

TEST(LdCache, HostCacheParsesToWhatLdconfigPrints) {
  const std::string cache = "/etc/ld.so.cache";
  if (::access(cache.c_str(), R_OK) != 0) GTEST_SKIP() << "this host has no " << cache;
  auto entries = readLdCache(cache);
  ASSERT_TRUE(entries) << entries.error().message;
  auto expected = ldconfigListing(cache);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(pairs(*entries), expected);
}

TEST(LdCache, FakeDriverCacheListsTheDriverSonames) {
  spacelet::testing::TempDir root;
  if (auto why = testing::makeFakeDriverRoot(root.path()); !why.empty()) GTEST_SKIP() << why;
  auto entries = readLdCache(root / "etc/ld.so.cache");
  ASSERT_TRUE(entries) << entries.error().message;
  EXPECT_EQ(pairs(*entries), ldconfigListing(root / "etc/ld.so.cache"));
  std::map<std::string, LdCacheEntry> bySoname;
  for (const auto& e : *entries) bySoname[e.soname] = e;
  ASSERT_EQ(bySoname.count("libcuda.so.1"), 1u);
  EXPECT_EQ(bySoname["libcuda.so.1"].path, std::string(testing::kFakeLibDir) + "/libcuda.so.1");
  EXPECT_TRUE(isNativeLibrary(bySoname["libcuda.so.1"].flags));
  EXPECT_EQ(bySoname.count("libnvidia-ml.so.1"), 1u);
  EXPECT_EQ(bySoname.count("libnvidia-ptxjitcompiler.so.1"), 1u);
}

std::string header(uint32_t count, uint32_t stringsLength) {
  std::string bytes = "glibc-ld.so.cache1.1";
  bytes.append(reinterpret_cast<const char*>(&count), 4);
  bytes.append(reinterpret_cast<const char*>(&stringsLength), 4);
  bytes.push_back(2);  // little endian
  bytes.append(19, '\0');
  return bytes;
}

TEST(LdCache, MalformedCachesFailWithAReason) {
  EXPECT_THAT(parseLdCache("").error().message, HasSubstr("bad magic"));
  EXPECT_THAT(parseLdCache("ELF nonsense here ......").error().message, HasSubstr("bad magic"));
  EXPECT_THAT(parseLdCache("glibc-ld.so.cache1.1\1\0").error().message,
              HasSubstr("header is truncated"));
  EXPECT_THAT(parseLdCache(header(1000, 0)).error().message, HasSubstr("claims 1000 entries"));
  std::string oneEntry = header(1, 0);
  int32_t flags = 0x0303;
  uint32_t key = 9999, value = 9999, osversion = 0;
  uint64_t hwcap = 0;
  oneEntry.append(reinterpret_cast<const char*>(&flags), 4);
  oneEntry.append(reinterpret_cast<const char*>(&key), 4);
  oneEntry.append(reinterpret_cast<const char*>(&value), 4);
  oneEntry.append(reinterpret_cast<const char*>(&osversion), 4);
  oneEntry.append(reinterpret_cast<const char*>(&hwcap), 8);
  EXPECT_THAT(parseLdCache(oneEntry).error().message, HasSubstr("string offset out of range"));
  std::string_view oldOnly("ld.so-1.7.0\0\0\0\0\0", 16);
  EXPECT_THAT(parseLdCache(oldOnly).error().message, HasSubstr("only the old format"));
  EXPECT_THAT(readLdCache("/nonexistent/ld.so.cache").error().message, HasSubstr("No such file"));
}

TEST(LdCache, HandBuiltEntryParses) {
  std::string bytes = header(1, 0);
  int32_t flags = 0x0303;
  uint32_t key = 48 + 24, value = key + 13, osversion = 0;
  uint64_t hwcap = 0;
  bytes.append(reinterpret_cast<const char*>(&flags), 4);
  bytes.append(reinterpret_cast<const char*>(&key), 4);
  bytes.append(reinterpret_cast<const char*>(&value), 4);
  bytes.append(reinterpret_cast<const char*>(&osversion), 4);
  bytes.append(reinterpret_cast<const char*>(&hwcap), 8);
  bytes.append("libcuda.so.1", 13);
  bytes.append("/lib/libcuda.so.1", 18);
  auto entries = parseLdCache(bytes);
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].soname, "libcuda.so.1");
  EXPECT_EQ((*entries)[0].path, "/lib/libcuda.so.1");
  EXPECT_EQ((*entries)[0].flags, 0x0303);
}

TEST(LdCache, NativeFlags) {
#if defined(__x86_64__) && !defined(__ILP32__)
  EXPECT_TRUE(isNativeLibrary(0x0303));
  EXPECT_FALSE(isNativeLibrary(0x0003)) << "i386 libc6";
  EXPECT_FALSE(isNativeLibrary(0x0001)) << "plain ELF";
  EXPECT_FALSE(isNativeLibrary(0x0803)) << "x32";
#else
  GTEST_SKIP() << "flag values checked for x86_64 builds";
#endif
}

}  // namespace
}  // namespace spacelet::agent::gpu
