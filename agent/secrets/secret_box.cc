// AES-256-GCM sealing with OpenSSL's EVP interface (see secret_box.h).
#include "agent/secrets/secret_box.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

namespace spacelet::agent::secrets {
namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const unsigned char* bytesOf(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Result<CipherCtx> startCipher(const NodeKey& key, const unsigned char* nonce, bool encrypt) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return fail(Error{ENOMEM, "create cipher context"});
  int ok = EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt);
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr);
  ok = ok && EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.bytes().data(), nonce, encrypt);
  if (!ok) return fail(Error{EIO, "initialize AES-256-GCM"});
  return ctx;
}

}  // namespace

NodeKey::NodeKey(const std::array<uint8_t, kNodeKeyBytes>& bytes, std::string source)
    : bytes_(bytes), source_(std::move(source)) {}

NodeKey::~NodeKey() {
  OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

std::string NodeKey::id() const {
  static constexpr std::string_view kLabel = "spacelet node key id v1";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
  EVP_DigestUpdate(md, kLabel.data(), kLabel.size());
  EVP_DigestUpdate(md, bytes_.data(), bytes_.size());
  EVP_DigestFinal_ex(md, digest, &length);
  EVP_MD_CTX_free(md);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < 8; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

Result<std::string> SecretBox::seal(std::string_view plaintext, std::string_view associated) const {
  std::string out(1 + kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* buf = reinterpret_cast<unsigned char*>(out.data());
  buf[0] = kVersion;
  if (RAND_bytes(buf + 1, kNonceBytes) != 1) return fail(Error{EIO, "generate a nonce"});
  auto ctx = startCipher(key_, buf + 1, true);
  if (!ctx) return fail(std::move(ctx).error());
  int n = 0;
  int ok = EVP_EncryptUpdate(ctx->get(), nullptr, &n, bytesOf(associated),
                             static_cast<int>(associated.size()));
  ok = ok && EVP_EncryptUpdate(ctx->get(), buf + 1 + kNonceBytes, &n, bytesOf(plaintext),
                               static_cast<int>(plaintext.size()));
  ok = ok && EVP_EncryptFinal_ex(ctx->get(), buf + 1 + kNonceBytes + n, &n);
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                                 buf + 1 + kNonceBytes + plaintext.size());
  if (!ok) return fail(Error{EIO, "encrypt with AES-256-GCM"});
  return out;
}

Result<std::string> SecretBox::open(std::string_view sealed, std::string_view associated) const {
  if (sealed.size() < 1 + kNonceBytes + kTagBytes || static_cast<uint8_t>(sealed[0]) != kVersion)
    return fail(Error{EBADMSG, "sealed value is truncated or of an unknown version"});
  size_t length = sealed.size() - 1 - kNonceBytes - kTagBytes;
  const unsigned char* in = bytesOf(sealed);
  auto ctx = startCipher(key_, in + 1, false);
  if (!ctx) return fail(std::move(ctx).error());
  std::string out(length, '\0');
  auto* plain = reinterpret_cast<unsigned char*>(out.data());
  int n = 0;
  // The tag is set before the final call; EVP_DecryptFinal_ex then verifies it.
  std::string tag(sealed.substr(sealed.size() - kTagBytes));
  int ok = EVP_DecryptUpdate(ctx->get(), nullptr, &n, bytesOf(associated),
                             static_cast<int>(associated.size()));
  ok = ok &&
       EVP_DecryptUpdate(ctx->get(), plain, &n, in + 1 + kNonceBytes, static_cast<int>(length));
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data());
  ok = ok && EVP_DecryptFinal_ex(ctx->get(), plain + n, &n) > 0;
  if (!ok) {
    OPENSSL_cleanse(out.data(), out.size());
    return fail(Error{EBADMSG, "sealed value does not open with node key " + key_.id() +
                                   " (wrong key, or the data was altered)"});
  }
  return out;
}

}  // namespace spacelet::agent::secrets
