// Tests of AES-256-GCM sealing: round trips, fresh nonces, and that a wrong key, other
// associated data or any altered byte fails cleanly instead of returning garbage.
#include "agent/secrets/secret_box.h"

#include <gtest/gtest.h>

namespace spacelet::agent::secrets {
namespace {

NodeKey key(uint8_t fill) {
  std::array<uint8_t, kNodeKeyBytes> bytes;
  bytes.fill(fill);
  return NodeKey(bytes, "test key");
}

TEST(SecretBox, RoundTrip) {
  SecretBox box(key(1));
  auto sealed = box.seal("hunter2", "alice/demo\nTOKEN");
  ASSERT_TRUE(sealed) << sealed.error().message;
  EXPECT_EQ(sealed->find("hunter2"), std::string::npos);
  EXPECT_EQ(sealed->size(), 1 + 12 + 7 + 16u);
  auto opened = box.open(*sealed, "alice/demo\nTOKEN");
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(*opened, "hunter2");
  auto empty = box.seal("", "x");
  ASSERT_TRUE(empty);
  EXPECT_EQ(*box.open(*empty, "x"), "");
}

TEST(SecretBox, EverySealUsesAFreshNonce) {
  SecretBox box(key(1));
  EXPECT_NE(*box.seal("same", "aad"), *box.seal("same", "aad"));
}

TEST(SecretBox, WrongKeyFailsCleanly) {
  auto sealed = SecretBox(key(1)).seal("hunter2", "aad");
  ASSERT_TRUE(sealed);
  auto opened = SecretBox(key(2)).open(*sealed, "aad");
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, EBADMSG);
  EXPECT_NE(opened.error().message.find("wrong key"), std::string::npos);
  EXPECT_NE(opened.error().message.find(key(2).id()), std::string::npos);
}

TEST(SecretBox, OtherAssociatedDataOrAlteredBytesFail) {
  SecretBox box(key(1));
  auto sealed = box.seal("hunter2", "alice/demo\nTOKEN");
  ASSERT_TRUE(sealed);
  EXPECT_FALSE(box.open(*sealed, "bob/demo\nTOKEN"));  // moved to another Space
  for (size_t i = 0; i < sealed->size(); ++i) {
    std::string altered = *sealed;
    altered[i] ^= 0x01;
    EXPECT_FALSE(box.open(altered, "alice/demo\nTOKEN")) << "byte " << i;
  }
  EXPECT_FALSE(box.open(sealed->substr(0, 10), "alice/demo\nTOKEN"));
  EXPECT_FALSE(box.open("", "alice/demo\nTOKEN"));
}

TEST(SecretBox, KeyIdsTellKeysApartAndHideThem) {
  EXPECT_EQ(key(1).id(), key(1).id());
  EXPECT_NE(key(1).id(), key(2).id());
  EXPECT_EQ(key(1).id().size(), 16u);
  EXPECT_EQ(key(1).id().find("0101"), std::string::npos);
}

}  // namespace
}  // namespace spacelet::agent::secrets
