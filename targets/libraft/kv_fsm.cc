#include "targets/libraft/kv_fsm.h"

#include "base/assert.h"
#include "base/hash.h"
#include "targets/libraft/bytes.h"

namespace simbus::targets::libraft {
namespace {
constexpr std::uint32_t kStateMagic = 0x4b565354;  // "KVST"
}

std::optional<std::int64_t> KvState::apply(const KvCommand& c) {
  auto s = sessions_.find(c.client);
  if (s != sessions_.end()) {
    if (c.request == s->second.request) return s->second.result;
    if (c.request < s->second.request) return std::nullopt;
  }
  std::int64_t result = 0;
  switch (c.op) {
    case KvOp::kWrite:
      values_[c.key] = c.a;
      break;
    case KvOp::kRead: {
      const auto v = values_.find(c.key);
      result = v == values_.end() ? kNil : v->second;
      break;
    }
    case KvOp::kCas: {
      const auto v = values_.find(c.key);
      const std::int64_t current = v == values_.end() ? kNil : v->second;
      result = current == c.a ? 1 : 0;
      if (result == 1) values_[c.key] = c.b;
      break;
    }
  }
  SIMBUS_ASSERT(values_.size() <= kKeysMax);
  sessions_[c.client] = Session{c.request, result};
  SIMBUS_ASSERT(sessions_.size() <= kClientsMax);
  applied_ += 1;
  return result;
}

Bytes KvState::serialize() const {
  Writer w;
  w.u32(kStateMagic);
  w.u64(applied_);
  w.u32(static_cast<std::uint32_t>(values_.size()));
  for (const auto& [k, v] : values_) {
    w.u32(k);
    w.u64(static_cast<std::uint64_t>(v));
  }
  w.u32(static_cast<std::uint32_t>(sessions_.size()));
  for (const auto& [c, s] : sessions_) {
    w.u32(c);
    w.u64(s.request);
    w.u64(static_cast<std::uint64_t>(s.result));
  }
  return w.take();
}

bool KvState::restore(std::span<const std::uint8_t> bytes) {
  Reader r(bytes);
  if (r.u32() != kStateMagic) return false;
  KvState fresh;
  fresh.applied_ = r.u64();
  const std::uint32_t keys = r.u32();
  if (!r.ok() || keys > kKeysMax) return false;
  for (std::uint32_t i = 0; i < keys && r.ok(); ++i) {
    const std::uint32_t k = r.u32();
    fresh.values_[k] = static_cast<std::int64_t>(r.u64());
  }
  const std::uint32_t clients = r.u32();
  if (!r.ok() || clients > kClientsMax) return false;
  for (std::uint32_t i = 0; i < clients && r.ok(); ++i) {
    const std::uint32_t c = r.u32();
    Session s;
    s.request = r.u64();
    s.result = static_cast<std::int64_t>(r.u64());
    fresh.sessions_[c] = s;
  }
  if (!r.ok() || r.remaining() != 0) return false;
  *this = std::move(fresh);
  return true;
}

std::uint64_t KvState::digest() const {
  const Bytes b = serialize();
  return hash_bytes(b.data(), b.size());
}

// Bit 0 tags a present result; values are small workload integers or kNil.
void* encode_result(std::optional<std::int64_t> result) {
  if (!result) return nullptr;
  const std::int64_t v = *result == kNil ? -1 : *result;
  SIMBUS_ASSERT(v >= -1 && v < (std::int64_t{1} << 60));
  return reinterpret_cast<void*>(static_cast<std::uintptr_t>(((v + 1) << 1) | 1));
}

std::optional<std::int64_t> decode_result(void* result) {
  const auto bits = reinterpret_cast<std::uintptr_t>(result);
  if ((bits & 1) == 0) return std::nullopt;
  const auto v = static_cast<std::int64_t>(bits >> 1) - 1;
  return v == -1 ? kNil : v;
}

}  // namespace simbus::targets::libraft
