// Content digests of OCI blobs: "sha256:<64 hex>". A streaming hasher over OpenSSL's EVP API
// (RAII-owned context) and a validated Digest type, so a malformed digest from an imported
// index can never become a path.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "spacelet/base/error.h"

struct evp_md_ctx_st;

namespace spacelet::agent::image {

// A validated "sha256:<hex>" digest. Only sha256 is accepted (what every registry writes).
class Digest {
 public:
  Digest() = default;
  // Accepts "sha256:" followed by exactly 64 lowercase hex digits.
  static Result<Digest> parse(std::string_view text);
  static Digest fromHex(std::string hex) { return Digest(std::move(hex)); }

  const std::string& hex() const { return hex_; }
  std::string str() const { return "sha256:" + hex_; }
  bool empty() const { return hex_.empty(); }
  bool operator==(const Digest&) const = default;
  auto operator<=>(const Digest&) const = default;

 private:
  explicit Digest(std::string hex) : hex_(std::move(hex)) {}
  std::string hex_;
};

// Incremental sha256. Not thread-safe; one instance per stream.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(std::string_view data);
  // Finishes the hash; the object must not be updated afterwards.
  Digest finish();

 private:
  struct CtxFree {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, CtxFree> ctx_;
};

Digest sha256Of(std::string_view data);

}  // namespace spacelet::agent::image
