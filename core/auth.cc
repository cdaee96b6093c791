#include "core/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "base/assert.h"

namespace simbus::core {

namespace {

// OpenSSL's one-shot HMAC() fetches the MAC and digest implementations and derives the
// key pads on every call, which cost more than the MAC itself for these short messages.
// One keyed context per thread is kept instead and re-initialised for each message with
// the same key (EVP_MAC_init with a null key reuses it): the same digest, far cheaper.
class HmacSha256 {
 public:
  HmacSha256() {
    mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    SIMBUS_ASSERT(mac_ != nullptr);
    ctx_ = EVP_MAC_CTX_new(mac_);
    SIMBUS_ASSERT(ctx_ != nullptr);
  }
  ~HmacSha256() {
    EVP_MAC_CTX_free(ctx_);
    EVP_MAC_free(mac_);
  }
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  // Writes the 32-byte MAC of `message` under `secret` to `digest`.
  void mac(std::string_view secret, std::string_view message, unsigned char* digest) {
    if (!keyed_ || secret != secret_) {
      char digest_name[] = "SHA256";
      const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest_name, 0),
                                   OSSL_PARAM_construct_end()};
      const int keyed = EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), params);
      SIMBUS_ASSERT(keyed == 1);
      secret_.assign(secret);
      keyed_ = true;
    } else {
      const int rekeyed = EVP_MAC_init(ctx_, nullptr, 0, nullptr);
      SIMBUS_ASSERT(rekeyed == 1);
    }
    const int updated = EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(message.data()), message.size());
    SIMBUS_ASSERT(updated == 1);
    std::size_t written = 0;
    const int finished = EVP_MAC_final(ctx_, digest, &written, 32);
    SIMBUS_ASSERT(finished == 1);
    SIMBUS_ASSERT(written == 32);
  }

 private:
  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* ctx_ = nullptr;
  std::string secret_;
  bool keyed_ = false;
};

}  // namespace

std::string hmac_sha256_hex(std::string_view secret, std::string_view message) {
  thread_local HmacSha256 hmac;
  unsigned char digest[32];
  hmac.mac(secret, message, digest);
  static constexpr char hex[] = "0123456789abcdef";
  std::string text;
  text.reserve(64);
  for (unsigned char byte : digest) {
    text.push_back(hex[byte >> 4]);
    text.push_back(hex[byte & 0xf]);
  }
  return text;
}

std::string subscription_string_to_sign(std::string_view socket_id, std::string_view channel,
                                        std::string_view channel_data) {
  std::string s;
  s.append(socket_id).append(":").append(channel);
  if (!channel_data.empty()) s.append(":").append(channel_data);
  return s;
}

std::string sign_subscription(const AppCredentials& app, std::string_view socket_id,
                              std::string_view channel, std::string_view channel_data) {
  return app.key + ":" +
         hmac_sha256_hex(app.secret,
                         subscription_string_to_sign(socket_id, channel, channel_data));
}

bool verify_subscription(const AppCredentials& app, std::string_view auth,
                         std::string_view socket_id, std::string_view channel,
                         std::string_view channel_data) {
  return equal_constant_time(auth, sign_subscription(app, socket_id, channel, channel_data));
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace simbus::core
