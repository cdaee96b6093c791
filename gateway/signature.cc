#include "gateway/signature.h"

#include <openssl/evp.h>

#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

#include "core/auth.h"

namespace simbus::gateway {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

std::optional<std::map<std::string, std::string>> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    std::optional<std::string> key = decode(pair.substr(0, eq));
    std::optional<std::string> value = decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!key || !value) return std::nullopt;
    if (!out.emplace(std::move(*key), std::move(*value)).second) return std::nullopt;
  }
  return out;
}

std::string md5_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_md5(), nullptr) != 1) {
    throw std::runtime_error("EVP_Digest(MD5) failed");
  }
  std::string out;
  for (unsigned int i = 0; i < size; ++i) out += fmt::format("{:02x}", digest[i]);
  return out;
}

std::string string_to_sign(std::string_view method, std::string_view path,
                           const std::map<std::string, std::string>& query) {
  std::string out = fmt::format("{}\n{}\n", method, path);
  bool first = true;
  for (const auto& [key, value] : query) {  // std::map: sorted by key
    if (key == "auth_signature") continue;
    if (!first) out += '&';
    first = false;
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

std::string check_signature(const SignedRequest& r, std::string_view key, std::string_view secret,
                            std::int64_t now_s) {
  const auto& q = *r.query;
  auto get = [&](const char* name) -> const std::string* {
    auto it = q.find(name);
    return it == q.end() ? nullptr : &it->second;
  };
  const std::string* auth_key = get("auth_key");
  const std::string* timestamp = get("auth_timestamp");
  const std::string* version = get("auth_version");
  const std::string* signature = get("auth_signature");
  if (!auth_key || !timestamp || !version || !signature) {
    return "auth_key, auth_timestamp, auth_version and auth_signature are required";
  }
  if (*auth_key != key) return "unknown auth_key";
  if (*version != "1.0") return "auth_version must be 1.0";
  std::int64_t ts = 0;
  const auto [end, ec] = std::from_chars(timestamp->data(), timestamp->data() + timestamp->size(), ts);
  if (ec != std::errc() || end != timestamp->data() + timestamp->size()) return "auth_timestamp is not a number";
  if (ts < now_s - auth_timestamp_window_s || ts > now_s + auth_timestamp_window_s) {
    return fmt::format("auth_timestamp {} is more than {} s from the server's time {}", ts,
                       auth_timestamp_window_s, now_s);
  }
  const std::string* body_md5 = get("body_md5");
  if (!r.body.empty()) {
    if (!body_md5) return "body_md5 is required with a body";
    if (!core::equal_constant_time(*body_md5, md5_hex(r.body))) return "body_md5 does not match the body";
  } else if (body_md5 && *body_md5 != md5_hex("")) {
    return "body_md5 does not match the (empty) body";
  }
  const std::string expected = core::hmac_sha256_hex(secret, string_to_sign(r.method, r.path, q));
  if (!core::equal_constant_time(*signature, expected)) return "invalid auth_signature";
  return {};
}

}  // namespace simbus::gateway
