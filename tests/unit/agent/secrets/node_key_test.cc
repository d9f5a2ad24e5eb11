// Tests of where the node key comes from: a systemd credential wins, else the key file, which
// is generated 0600 on first start and refused when others can read it or it is malformed.
#include "agent/secrets/node_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "test_env.h"

namespace spacelet::agent::secrets {
namespace {

using spacelet::testing::TempDir;

void writeFile(const std::string& path, const std::string& data, mode_t mode) {
  std::ofstream(path, std::ios::binary) << data;
  ::chmod(path.c_str(), mode);
}

TEST(NodeKey, GeneratedOnFirstStartWithMode0600AndStable) {
  TempDir dir;
  std::string path = dir / "etc/spacelet/node.key";
  auto first = loadOrCreateNodeKey({"", path});
  ASSERT_TRUE(first) << first.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  EXPECT_EQ(first->source(), "file '" + path + "'");
  auto second = loadOrCreateNodeKey({"", path});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(first->bytes(), second->bytes());
}

TEST(NodeKey, TwoGeneratedKeysDiffer) {
  TempDir a, b;
  auto ka = loadOrCreateNodeKey({"", a / "node.key"});
  auto kb = loadOrCreateNodeKey({"", b / "node.key"});
  ASSERT_TRUE(ka && kb);
  EXPECT_NE(ka->bytes(), kb->bytes());
}

TEST(NodeKey, CredentialWinsOverTheFile) {
  TempDir dir;
  ::mkdir((dir / "creds").c_str(), 0700);
  writeFile(dir / "creds/spacelet.key", std::string(64, 'a') + "\n", 0400);
  auto k = loadOrCreateNodeKey({dir / "creds", dir / "node.key"});
  ASSERT_TRUE(k) << k.error().message;
  std::array<uint8_t, kNodeKeyBytes> expected;
  expected.fill(0xaa);
  EXPECT_EQ(k->bytes(), expected);
  EXPECT_NE(k->source().find("credential"), std::string::npos);
  EXPECT_NE(::access((dir / "node.key").c_str(), F_OK), 0);  // no file generated
}

TEST(NodeKey, CredentialDirWithoutTheKeyFallsBackToTheFile) {
  TempDir dir;
  auto k = loadOrCreateNodeKey({dir.path(), dir / "node.key"});
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_NE(k->source().find("file"), std::string::npos);
}

TEST(NodeKey, ReadableByOthersIsRefused) {
  TempDir dir;
  writeFile(dir / "node.key", std::string(32, 'k'), 0644);
  auto k = loadOrCreateNodeKey({"", dir / "node.key"});
  ASSERT_FALSE(k);
  EXPECT_NE(k.error().message.find("has mode 0644"), std::string::npos) << k.error().message;
  EXPECT_NE(k.error().message.find("chmod 0600"), std::string::npos);
}

TEST(NodeKey, MalformedKeysAreRefused) {
  TempDir dir;
  writeFile(dir / "node.key", "too short", 0600);
  auto k = loadOrCreateNodeKey({"", dir / "node.key"});
  ASSERT_FALSE(k);
  EXPECT_NE(k.error().message.find("must hold 32 bytes, or 64 hex digits"), std::string::npos);
  writeFile(dir / "hex.key", std::string(63, 'a') + "g\n", 0600);
  EXPECT_FALSE(loadOrCreateNodeKey({"", dir / "hex.key"}));
}

TEST(NodeKey, SymlinkIsRefused) {
  TempDir dir;
  writeFile(dir / "real.key", std::string(32, 'k'), 0600);
  ASSERT_EQ(::symlink((dir / "real.key").c_str(), (dir / "node.key").c_str()), 0);
  auto k = loadOrCreateNodeKey({"", dir / "node.key"});
  ASSERT_FALSE(k);
  EXPECT_NE(k.error().message.find("symlink"), std::string::npos);
}

}  // namespace
}  // namespace spacelet::agent::secrets
