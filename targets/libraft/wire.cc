#include "targets/libraft/wire.h"

#include <fmt/format.h>

#include <cstring>

#include "base/assert.h"
#include "targets/libraft/bytes.h"

namespace simbus::targets::libraft {
namespace {

constexpr std::uint32_t kEntriesMax = 1u << 16;
constexpr std::uint64_t kMessageBytesMax = 64u << 20;

void put_configuration(Writer& w, const raft_configuration& c) {
  SIMBUS_ASSERT(c.n <= kServersMax);
  w.u32(c.n);
  for (unsigned i = 0; i < c.n; ++i) {
    w.u64(c.servers[i].id);
    w.u32(static_cast<std::uint32_t>(c.servers[i].role));
    w.str(c.servers[i].address != nullptr ? c.servers[i].address : "");
  }
}

// "" or what is wrong; on error `c` is closed again.
std::string get_configuration(Reader& r, raft_configuration* c) {
  raft_configuration_init(c);
  const std::uint32_t n = r.u32();
  if (!r.ok() || n > kServersMax) return "configuration: bad server count";
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint64_t id = r.u64();
    const int role = static_cast<int>(r.u32());
    const std::string address = r.str(kAddressBytesMax);
    if (!r.ok()) break;
    if (raft_configuration_add(c, id, address.c_str(), role) != 0) {
      raft_configuration_close(c);
      return fmt::format("configuration: server {} refused", id);
    }
  }
  if (!r.ok()) {
    raft_configuration_close(c);
    return "configuration: truncated";
  }
  return "";
}

void* copy_to_raft_heap(const std::vector<std::uint8_t>& bytes) {
  void* p = raft_malloc(bytes.empty() ? 1 : bytes.size());
  SIMBUS_ASSERT(p != nullptr);
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
  return p;
}

}  // namespace

std::optional<WireKind> wire_kind(std::span<const std::uint8_t> datagram) {
  if (datagram.empty()) return std::nullopt;
  const auto k = static_cast<WireKind>(datagram[0]);
  if (k != WireKind::kRaft && k != WireKind::kClientRequest && k != WireKind::kClientReply) return std::nullopt;
  return k;
}

Bytes encode_raft_message(const raft_message& m) {
  Writer w;
  w.u8(static_cast<std::uint8_t>(WireKind::kRaft));
  w.u16(m.type);
  w.u64(m.server_id);
  switch (m.type) {
    case RAFT_IO_REQUEST_VOTE: {
      const auto& v = m.request_vote;
      w.u64(v.term);
      w.u64(v.candidate_id);
      w.u64(v.last_log_index);
      w.u64(v.last_log_term);
      w.u8(v.disrupt_leader ? 1 : 0);
      w.u8(v.pre_vote ? 1 : 0);
      break;
    }
    case RAFT_IO_REQUEST_VOTE_RESULT: {
      const auto& v = m.request_vote_result;
      w.u64(v.term);
      w.u8(v.vote_granted ? 1 : 0);
      w.u8(static_cast<std::uint8_t>(v.pre_vote));
      break;
    }
    case RAFT_IO_APPEND_ENTRIES: {
      const auto& a = m.append_entries;
      w.u64(a.term);
      w.u64(a.prev_log_index);
      w.u64(a.prev_log_term);
      w.u64(a.leader_commit);
      SIMBUS_ASSERT(a.n_entries <= kEntriesMax);
      w.u32(a.n_entries);
      for (unsigned i = 0; i < a.n_entries; ++i) {
        const raft_entry& e = a.entries[i];
        w.u64(e.term);
        w.u16(e.type);
        w.u32(static_cast<std::uint32_t>(e.buf.len));
        w.raw({static_cast<const std::uint8_t*>(e.buf.base), e.buf.len});
      }
      break;
    }
    case RAFT_IO_APPEND_ENTRIES_RESULT: {
      const auto& a = m.append_entries_result;
      w.u64(a.term);
      w.u64(a.rejected);
      w.u64(a.last_log_index);
      break;
    }
    case RAFT_IO_INSTALL_SNAPSHOT: {
      const auto& s = m.install_snapshot;
      w.u64(s.term);
      w.u64(s.last_index);
      w.u64(s.last_term);
      put_configuration(w, s.conf);
      w.u64(s.conf_index);
      w.u64(s.data.len);
      w.raw({static_cast<const std::uint8_t*>(s.data.base), s.data.len});
      break;
    }
    case RAFT_IO_TIMEOUT_NOW: {
      const auto& t = m.timeout_now;
      w.u64(t.term);
      w.u64(t.last_log_index);
      w.u64(t.last_log_term);
      break;
    }
    default:
      SIMBUS_ASSERT_MSG(false, "libraft sent a message of an unknown type");
  }
  return w.take();
}

std::string decode_raft_message(std::span<const std::uint8_t> datagram, raft_message* out) {
  if (datagram.size() > kMessageBytesMax) return "message too large";
  std::memset(out, 0, sizeof(*out));
  Reader r(datagram);
  if (r.u8() != static_cast<std::uint8_t>(WireKind::kRaft)) return "not a raft message";
  out->type = r.u16();
  out->server_id = r.u64();
  switch (out->type) {
    case RAFT_IO_REQUEST_VOTE: {
      auto& v = out->request_vote;
      v.term = r.u64();
      v.candidate_id = r.u64();
      v.last_log_index = r.u64();
      v.last_log_term = r.u64();
      v.disrupt_leader = r.u8() != 0;
      v.pre_vote = r.u8() != 0;
      break;
    }
    case RAFT_IO_REQUEST_VOTE_RESULT: {
      auto& v = out->request_vote_result;
      v.term = r.u64();
      v.vote_granted = r.u8() != 0;
      const std::uint8_t pv = r.u8();
      if (pv > raft_tribool_false) return "request_vote_result: bad pre_vote";
      v.pre_vote = static_cast<raft_tribool>(pv);
      break;
    }
    case RAFT_IO_APPEND_ENTRIES: {
      auto& a = out->append_entries;
      a.term = r.u64();
      a.prev_log_index = r.u64();
      a.prev_log_term = r.u64();
      a.leader_commit = r.u64();
      const std::uint32_t n = r.u32();
      if (!r.ok() || n > kEntriesMax) return "append_entries: bad entry count";
      if (n == 0) break;
      std::vector<EntryBytes> shapes;
      shapes.reserve(n);
      for (std::uint32_t i = 0; i < n; ++i) {
        EntryBytes e;
        e.term = r.u64();
        e.type = r.u16();
        const std::uint32_t len = r.u32();
        if (!r.ok() || len > kEntryBytesMax || len > r.remaining()) return "append_entries: truncated entry";
        e.data = datagram.subspan(r.position(), len);
        r.raw(len);
        shapes.push_back(e);
      }
      raft_entry* entries = make_library_entries(shapes);
      a.entries = entries;
      a.n_entries = n;
      break;
    }
    case RAFT_IO_APPEND_ENTRIES_RESULT: {
      auto& a = out->append_entries_result;
      a.term = r.u64();
      a.rejected = r.u64();
      a.last_log_index = r.u64();
      break;
    }
    case RAFT_IO_INSTALL_SNAPSHOT: {
      auto& s = out->install_snapshot;
      s.term = r.u64();
      s.last_index = r.u64();
      s.last_term = r.u64();
      if (auto err = get_configuration(r, &s.conf); !err.empty()) return err;
      s.conf_index = r.u64();
      const std::uint64_t len = r.u64();
      if (!r.ok() || len > kSnapshotDataBytesMax || len > r.remaining()) {
        raft_configuration_close(&s.conf);
        return "install_snapshot: truncated data";
      }
      s.data.base = copy_to_raft_heap(r.raw(static_cast<std::size_t>(len)));
      s.data.len = static_cast<std::size_t>(len);
      break;
    }
    case RAFT_IO_TIMEOUT_NOW: {
      auto& t = out->timeout_now;
      t.term = r.u64();
      t.last_log_index = r.u64();
      t.last_log_term = r.u64();
      break;
    }
    default:
      return fmt::format("unknown raft message type {}", out->type);
  }
  if (!r.ok() || r.remaining() != 0) {
    free_decoded_message(out);
    return "raft message truncated or with trailing bytes";
  }
  return "";
}

raft_entry* make_library_entries(std::span<const EntryBytes> entries) {
  SIMBUS_ASSERT(!entries.empty());
  std::size_t total = 0;
  for (const EntryBytes& e : entries) total += e.data.size();
  auto* array = static_cast<raft_entry*>(raft_calloc(entries.size(), sizeof(raft_entry)));
  auto* batch = static_cast<std::uint8_t*>(raft_malloc(total == 0 ? 1 : total));
  SIMBUS_ASSERT(array != nullptr && batch != nullptr);
  std::size_t off = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    array[i].term = entries[i].term;
    array[i].type = entries[i].type;
    array[i].buf.base = batch + off;
    array[i].buf.len = entries[i].data.size();
    array[i].batch = batch;
    if (!entries[i].data.empty()) std::memcpy(batch + off, entries[i].data.data(), entries[i].data.size());
    off += entries[i].data.size();
  }
  SIMBUS_ASSERT(off == total);
  return array;
}

void free_decoded_message(raft_message* m) {
  if (m->type == RAFT_IO_APPEND_ENTRIES && m->append_entries.n_entries > 0) {
    raft_free(m->append_entries.entries[0].batch);
    raft_free(m->append_entries.entries);
  } else if (m->type == RAFT_IO_INSTALL_SNAPSHOT) {
    raft_free(m->install_snapshot.data.base);
    raft_configuration_close(&m->install_snapshot.conf);
  }
  std::memset(m, 0, sizeof(*m));
}

Bytes encode_command(const KvCommand& c) {
  Writer w;
  w.u8(static_cast<std::uint8_t>(c.op));
  w.u32(c.client);
  w.u64(c.request);
  w.u32(c.key);
  w.u64(static_cast<std::uint64_t>(c.a));
  w.u64(static_cast<std::uint64_t>(c.b));
  SIMBUS_ASSERT(w.bytes().size() == kKvCommandBytes);
  return w.take();
}

std::optional<KvCommand> decode_command(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kKvCommandBytes) return std::nullopt;
  Reader r(bytes);
  KvCommand c;
  const std::uint8_t op = r.u8();
  if (op < 1 || op > 3) return std::nullopt;
  c.op = static_cast<KvOp>(op);
  c.client = r.u32();
  c.request = r.u64();
  c.key = r.u32();
  c.a = static_cast<std::int64_t>(r.u64());
  c.b = static_cast<std::int64_t>(r.u64());
  if (!r.ok()) return std::nullopt;
  return c;
}

Bytes encode_request(const ClientRequest& req) {
  Bytes out{static_cast<std::uint8_t>(WireKind::kClientRequest)};
  const Bytes cmd = encode_command(req.command);
  out.insert(out.end(), cmd.begin(), cmd.end());
  return out;
}

std::optional<ClientRequest> decode_request(std::span<const std::uint8_t> datagram) {
  if (datagram.empty() || datagram[0] != static_cast<std::uint8_t>(WireKind::kClientRequest)) return std::nullopt;
  auto cmd = decode_command(datagram.subspan(1));
  if (!cmd) return std::nullopt;
  return ClientRequest{*cmd};
}

Bytes encode_reply(const ClientReply& rep) {
  Writer w;
  w.u8(static_cast<std::uint8_t>(WireKind::kClientReply));
  w.u32(rep.client);
  w.u64(rep.request);
  w.u8(static_cast<std::uint8_t>(rep.status));
  w.u64(static_cast<std::uint64_t>(rep.value));
  w.u64(rep.leader_hint);
  return w.take();
}

std::optional<ClientReply> decode_reply(std::span<const std::uint8_t> datagram) {
  Reader r(datagram);
  if (r.u8() != static_cast<std::uint8_t>(WireKind::kClientReply)) return std::nullopt;
  ClientReply rep;
  rep.client = r.u32();
  rep.request = r.u64();
  const std::uint8_t st = r.u8();
  if (st < 1 || st > 3) return std::nullopt;
  rep.status = static_cast<ReplyStatus>(st);
  rep.value = static_cast<std::int64_t>(r.u64());
  rep.leader_hint = r.u64();
  if (!r.ok() || r.remaining() != 0) return std::nullopt;
  return rep;
}

}  // namespace simbus::targets::libraft
