// The judgements of the broker-edges scenario (scenarios/broker_edge.cc), as functions of
// what a client saw, so that tests can show each of them failing on a wrong answer.
// Each returns "" when the answer is the one the protocol documents, else what is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/messages.h"

namespace simbus::scenarios::edge {

// The channel-name rule as the protocol documents it (DESIGN.md, Pusher's channel names):
// 1..164 characters of [A-Za-z0-9_-=@,.;], not a bare "private-" or "presence-" prefix.
// Written independently of core/names.cc, which it judges.
bool spec_valid_channel_name(const std::string& name);

// `what` ("channel_info", "subscribe on b2") answered `status` for channel `name`.
std::string judge_channel_answer(const std::string& what, const std::string& name, core::Status status);

// A presence subscribe with `channel_data`: `user` is the member it must make, or nullopt
// when the data is malformed and must be refused.
std::string judge_presence_answer(const std::string& channel_data, const std::optional<std::string>& user,
                                  const core::SubscribeReply& reply);

// The members a connection sees, against the ones subscribed `when`.
std::string judge_members(const std::string& when, const std::set<std::string>& seen,
                          const std::set<std::string>& expected);

// After a client closed one of its two connections and `data` was published: the open one
// must have it, the closed one must not. `got` holds (socket, data) pairs received.
std::string judge_after_close(const std::set<std::pair<std::string, std::string>>& got, const std::string& open,
                              const std::string& closed, const std::string& data);

// A publish's answer against the size limits: granted iff data <= 10 KiB, an event name of
// 1..200 bytes and 1..100 channels (the probes' channels are distinct and valid).
std::string judge_publish_answer(const std::string& what, std::size_t data_bytes, std::size_t event_bytes,
                                 std::size_t channels, core::Status status);

// A resume from `from_seq` after the channel moved past what it retains, up to `last_seq`:
// a missed-events notice from from_seq + 1 up to just before the first replayed event, then
// every event up to last_seq in order.
std::string judge_resume(std::uint64_t from_seq, std::uint64_t last_seq, const std::optional<core::MissedEvents>& missed,
                         const std::vector<std::uint64_t>& seqs);

}  // namespace simbus::scenarios::edge
