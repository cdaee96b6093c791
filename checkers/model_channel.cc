// The broker's channel as clients see it, one channel per key: an event log (publish
// returns the event's sequence number, 1 for the first) and a set of subscriptions
// (session -> user), observed through seq_last, channel_info and members. One model covers the
// three objects so a history can mix them; a history using only some of the functions
// checks only those.
#include <fmt/format.h>

#include <algorithm>

#include "base/assert.h"
#include "checkers/interner.h"
#include "checkers/model.h"

namespace simbus::checkers {
namespace {

enum class Kind : std::uint8_t { publish, read_log, seq_last, subscribe, unsubscribe, channel_info, members };

struct ChannelOp {
  Kind kind;
  std::int32_t a = -1;           // publish: payload; (un)subscribe: session
  std::int32_t b = -1;           // subscribe: user (-1 none)
  std::int64_t seq = -1;         // publish: returned sequence number, -1 unknown; seq_last: the read one
  std::vector<std::int32_t> list = {};  // read_log: payloads; members: sorted users
  std::vector<std::int64_t> info = {};  // channel_info: occupied, subscription count, user count
};

// A state is [log length, payloads..., session, user, session, user, ...] with the
// subscription pairs sorted by session.
class ChannelPartition final : public PartitionModel {
 public:
  explicit ChannelPartition(std::span<const Operation* const> ops) {
    for (const Operation* op : ops) track_payloads_ = track_payloads_ || op->function == "read_log";
    for (const Operation* op : ops) ops_.push_back(compile(*op));
    initial_ = states_.intern({0});
  }

  std::int32_t initial_state() override { return initial_; }

  std::int32_t step(std::int32_t state, std::int32_t op) override {
    const ChannelOp& o = ops_[op];
    const std::vector<std::int32_t>& s = states_.value(state);
    const std::int32_t log_size = s[0];
    auto log_begin = s.begin() + 1;
    auto subs_begin = log_begin + log_size;
    switch (o.kind) {
      case Kind::read_log:
        return std::equal(log_begin, subs_begin, o.list.begin(), o.list.end()) ? state : kInvalidState;
      case Kind::seq_last: return o.seq == -1 || o.seq == log_size ? state : kInvalidState;
      case Kind::channel_info: {
        const std::int64_t subscriptions = (s.end() - subs_begin) / 2;
        const std::int64_t observed[3] = {subscriptions > 0 ? 1 : 0, subscriptions,
                                          static_cast<std::int64_t>(users(s).size())};
        for (std::size_t i = 0; i < o.info.size(); ++i) {
          if (o.info[i] != observed[i]) return kInvalidState;
        }
        return state;
      }
      case Kind::members: return users(s) == o.list ? state : kInvalidState;
      default: break;
    }
    if (o.kind == Kind::publish && o.seq != -1 && o.seq != log_size + 1) return kInvalidState;
    if (const std::int32_t* next = cache_.find(state, op)) return *next;
    std::vector<std::int32_t> n(s.begin(), s.end());
    if (o.kind == Kind::publish) {
      n[0] += 1;
      n.insert(n.begin() + 1 + log_size, o.a);
    } else {
      auto pos = n.begin() + 1 + log_size;
      while (pos != n.end() && *pos < o.a) pos += 2;
      const bool present = pos != n.end() && *pos == o.a;
      if (o.kind == Kind::subscribe) {
        if (present) {
          *(pos + 1) = o.b;
        } else {
          pos = n.insert(pos, o.b);
          n.insert(pos, o.a);
        }
      } else if (present) {
        n.erase(pos, pos + 2);
      }
    }
    std::int32_t next = states_.intern(n);
    states_.add_bytes(static_cast<std::int64_t>(n.size() * sizeof(std::int32_t)));
    cache_.put(state, op, next);
    return next;
  }

  bool preserves_state(std::int32_t op) const override {
    Kind k = ops_[op].kind;
    return k == Kind::read_log || k == Kind::seq_last || k == Kind::channel_info || k == Kind::members;
  }
  bool is_noop(std::int32_t op) const override {
    // An observation whose result is unknown tells nothing.
    return preserves_state(op) && unknown_[op];
  }
  std::string describe_state(std::int32_t state) const override {
    const std::vector<std::int32_t>& s = states_.value(state);
    std::string out = "log [";
    for (std::int32_t i = 0; i < s[0]; ++i) out += fmt::format("{}{}", i ? " " : "", value_to_string(names_.value(s[1 + i])));
    out += "] subscriptions {";
    for (std::size_t i = 1 + s[0]; i + 1 < s.size(); i += 2) {
      out += fmt::format("{}{}:{}", i == static_cast<std::size_t>(1 + s[0]) ? "" : " ",
                         value_to_string(names_.value(s[i])), value_to_string(names_.value(s[i + 1])));
    }
    return out + "}";
  }
  std::int64_t memory_bytes() const override {
    return states_.approx_bytes() + cache_.approx_bytes();
  }

 private:
  std::vector<std::int32_t> users(const std::vector<std::int32_t>& s) const {
    std::vector<std::int32_t> out;
    for (std::size_t i = 2 + s[0]; i < s.size(); i += 2) {
      if (s[i] != no_user_) out.push_back(s[i]);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  ChannelOp compile(const Operation& op) {
    const bool known = op.status == Status::ok;
    unknown_.push_back(!known);
    const std::string& f = op.function;
    if (f == "publish") {
      // Without a read_log nothing observes the payloads, only how many there are: one
      // placeholder keeps the orders of concurrent publishes from multiplying the states.
      ChannelOp o{Kind::publish, track_payloads_ ? names_.intern(op.args[0]) : no_user_};
      if (known && !op.results.empty()) o.seq = std::get<std::int64_t>(op.results[0]);
      return o;
    }
    if (f == "read_log") {
      ChannelOp o{Kind::read_log};
      for (const Value& v : op.results) o.list.push_back(names_.intern(v));
      return o;
    }
    if (f == "seq_last") {
      ChannelOp o{Kind::seq_last};
      if (known && !op.results.empty()) o.seq = std::get<std::int64_t>(op.results[0]);
      return o;
    }
    if (f == "subscribe") {
      Value user = op.args.size() > 1 ? op.args[1] : Value{};
      if (is_nil(user) || user == Value{std::string()}) user = Value{};
      return ChannelOp{Kind::subscribe, names_.intern(op.args[0]), names_.intern(user)};
    }
    if (f == "unsubscribe") return ChannelOp{Kind::unsubscribe, names_.intern(op.args[0])};
    if (f == "channel_info") {
      ChannelOp o{Kind::channel_info};
      for (const Value& v : op.results) o.info.push_back(std::get<std::int64_t>(v));
      return o;
    }
    SIMBUS_ASSERT(f == "members");
    ChannelOp o{Kind::members};
    for (const Value& v : op.results) o.list.push_back(names_.intern(v));
    std::sort(o.list.begin(), o.list.end());
    o.list.erase(std::unique(o.list.begin(), o.list.end()), o.list.end());
    return o;
  }

  ValueInterner names_;
  const std::int32_t no_user_ = names_.intern(Value{});
  IdsInterner states_;
  TransitionCache cache_;
  std::vector<ChannelOp> ops_;
  std::vector<bool> unknown_;
  std::int32_t initial_ = 0;
  bool track_payloads_ = false;
};

class ChannelModel final : public Model {
 public:
  std::string_view name() const override { return "channel"; }
  std::string validate(const Operation& op) const override {
    const std::string& f = op.function;
    if (f == "publish") {
      if (op.args.size() != 1) return "publish takes one argument (the payload)";
      if (op.results.size() > 1) return "publish returns at most one value (the sequence number)";
      if (op.results.size() == 1 && !std::holds_alternative<std::int64_t>(op.results[0])) {
        return "publish returns an integer sequence number";
      }
      return "";
    }
    if (f == "read_log" || f == "members") return "";
    if (f == "seq_last") {
      if (!op.args.empty()) return "seq_last takes no arguments";
      if (op.results.size() > 1) return "seq_last returns at most one value (the last sequence number)";
      if (op.results.size() == 1 && (!std::holds_alternative<std::int64_t>(op.results[0]) ||
                                     std::get<std::int64_t>(op.results[0]) < 0)) {
        return "seq_last returns a sequence number (an integer >= 0)";
      }
      return "";
    }
    if (f == "subscribe") {
      if (op.args.empty() || op.args.size() > 2) return "subscribe takes (session) or (session, user)";
      return "";
    }
    if (f == "unsubscribe") return op.args.size() == 1 ? "" : "unsubscribe takes (session)";
    if (f == "channel_info") {
      if (op.results.size() > 3) return "channel_info returns (occupied, subscription_count, user_count)";
      for (const Value& v : op.results) {
        if (!std::holds_alternative<std::int64_t>(v)) return "channel_info returns integers";
      }
      return "";
    }
    return fmt::format(
        "the channel model has no function '{}' (publish, read_log, seq_last, subscribe, unsubscribe, "
        "channel_info, members)",
        f);
  }
  std::unique_ptr<PartitionModel> compile(std::span<const Operation* const> ops) const override {
    return std::make_unique<ChannelPartition>(ops);
  }
};

}  // namespace

std::unique_ptr<Model> make_channel_model() { return std::make_unique<ChannelModel>(); }

}  // namespace simbus::checkers
