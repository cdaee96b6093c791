#include "core/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/assert.h"

namespace simbus::core {

std::string hmac_sha256_hex(std::string_view secret, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_bytes = 0;
  const unsigned char* out =
      HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
           &digest_bytes);
  SIMBUS_ASSERT(out != nullptr);
  SIMBUS_ASSERT(digest_bytes == 32);
  static constexpr char hex[] = "0123456789abcdef";
  std::string text;
  text.reserve(digest_bytes * 2);
  for (unsigned int i = 0; i < digest_bytes; ++i) {
    text.push_back(hex[digest[i] >> 4]);
    text.push_back(hex[digest[i] & 0xf]);
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
  const std::string expected = sign_subscription(app, socket_id, channel, channel_data);
  if (auth.size() != expected.size()) return false;
  return CRYPTO_memcmp(auth.data(), expected.data(), expected.size()) == 0;
}

}  // namespace simbus::core
