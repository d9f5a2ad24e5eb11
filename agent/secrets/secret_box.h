// Authenticated encryption of secret values at rest: AES-256-GCM (OpenSSL libcrypto) under the
// node key, with a fresh random nonce per value and the owner (Space id and key name) bound in
// as associated data, so a sealed value copied to another Space or key does not open.
// Thread-safety: a SecretBox is immutable after construction; seal/open may run concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "spacelet/base/error.h"

namespace spacelet::agent::secrets {

constexpr size_t kNodeKeyBytes = 32;

// The node key and where it came from (for messages). The bytes are wiped on destruction.
class NodeKey {
 public:
  NodeKey(const std::array<uint8_t, kNodeKeyBytes>& bytes, std::string source);
  NodeKey(const NodeKey&) = default;
  NodeKey& operator=(const NodeKey&) = default;
  ~NodeKey();

  const std::array<uint8_t, kNodeKeyBytes>& bytes() const { return bytes_; }
  const std::string& source() const { return source_; }
  // A short public fingerprint (16 hex digits of SHA-256 over a label and the key), safe to
  // print and store: it tells keys apart without revealing them.
  std::string id() const;

 private:
  std::array<uint8_t, kNodeKeyBytes> bytes_;
  std::string source_;
};

class SecretBox {
 public:
  explicit SecretBox(NodeKey key) : key_(std::move(key)) {}

  // version byte | 12-byte nonce | ciphertext | 16-byte tag.
  Result<std::string> seal(std::string_view plaintext, std::string_view associated) const;
  // Fails (EBADMSG) when the key, the associated data or any byte differs: never garbage.
  Result<std::string> open(std::string_view sealed, std::string_view associated) const;

  const NodeKey& key() const { return key_; }

 private:
  NodeKey key_;
};

}  // namespace spacelet::agent::secrets
