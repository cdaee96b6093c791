#include "core/messages.h"

#include "base/assert.h"

namespace simbus::core {

std::string_view status_name(Status status) {
  switch (status) {
    case Status::ok: return "ok";
    case Status::not_leader: return "not_leader";
    case Status::invalid_channel: return "invalid_channel";
    case Status::auth_failed: return "auth_failed";
    case Status::forbidden: return "forbidden";
    case Status::not_subscribed: return "not_subscribed";
    case Status::too_many_channels: return "too_many_channels";
    case Status::invalid_request: return "invalid_request";
    case Status::stale_request: return "stale_request";
    case Status::unknown_socket: return "unknown_socket";
    case Status::count: break;
  }
  return "unknown";
}

Bytes encode_message(const Message& message) {
  Writer w;
  begin_frame(w, frame_kind_message);
  serial::put(w, message);
  return finish_frame(w);
}

DecodeError decode_message(std::span<const std::uint8_t> in, Message& out) {
  Unframed unframed;
  const DecodeError error = unframe(in, unframed);
  if (error != DecodeError::none) return error;
  if (unframed.kind != frame_kind_message) return DecodeError::bad_kind;
  if (!serial::decode_body(unframed.body, out)) return DecodeError::bad_body;
  return DecodeError::none;
}

Bytes encode_command(const Command& command) {
  Writer w;
  begin_frame(w, frame_kind_command);
  serial::put(w, command);
  return finish_frame(w);
}

DecodeError decode_command(std::span<const std::uint8_t> in, Command& out) {
  Unframed unframed;
  const DecodeError error = unframe(in, unframed);
  if (error != DecodeError::none) return error;
  if (unframed.kind != frame_kind_command) return DecodeError::bad_kind;
  if (!serial::decode_body(unframed.body, out)) return DecodeError::bad_body;
  return DecodeError::none;
}

static_assert(std::variant_size_v<RaftMessage> == 6);

Message to_message(const RaftMessage& raft) {
  return std::visit([](const auto& m) -> Message { return m; }, raft);
}

bool to_raft(const Message& message, RaftMessage& out) {
  if (message.index() >= std::variant_size_v<RaftMessage>) return false;
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_constructible_v<RaftMessage, T>) out = m;
      },
      message);
  return true;
}

}  // namespace simbus::core
