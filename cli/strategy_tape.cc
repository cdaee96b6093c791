#include "cli/strategy_tape.h"

#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>
#include <type_traits>

#include "base/assert.h"

namespace simbus::cli {

// Records are read back by the same binary that wrote them, so plain structs are copied
// as bytes.
static_assert(std::is_trivially_copyable_v<sim::EnabledAction>);
static_assert(std::is_trivially_copyable_v<sim::PickContext>);
static_assert(std::is_trivially_copyable_v<sim::DataChoice>);

struct Tape::Header {
  std::atomic<std::uint64_t> used_bytes{0};
  std::atomic<std::uint64_t> appends{0};
  std::atomic<bool> overflowed{false};
  std::atomic<bool> warned{false};
};

namespace {

constexpr std::size_t kHeaderBytes = 4096;
constexpr std::size_t kRecordHeaderBytes = 8;  // u32 type, u32 payload bytes
constexpr std::size_t kAlignBytes = 8;

std::size_t aligned(std::size_t n) { return (n + kAlignBytes - 1) / kAlignBytes * kAlignBytes; }

template <typename T>
std::span<const std::byte> bytes_of(const T& value) {
  return std::as_bytes(std::span<const T>(&value, 1));
}

template <typename T>
T read_at(std::span<const std::byte> bytes, std::size_t offset) {
  SIMBUS_ASSERT(offset + sizeof(T) <= bytes.size());
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

struct PickHead {
  sim::PickContext ctx;
  std::uint64_t index = 0;
};

struct DataRecord {
  sim::DataChoice choice;
  std::uint64_t value = 0;
  std::uint8_t has_value = 0;
};

bool same_action(const sim::EnabledAction& a, const sim::EnabledAction& b) {
  return a.id == b.id && a.actor == b.actor && a.seq == b.seq && a.node == b.node && a.kind == b.kind &&
         a.object == b.object && a.access == b.access && a.timeout == b.timeout;
}

// A pick's enabled list is stored as edits of the previous pick's: a broker cluster has
// hundreds of pending deliveries and timers of which one or two change per step, so whole
// lists (28 KB a step on broker-smoke) would fill the tape and the memory budget.
// Ops are u32 words, the kind in the top two bits and a count below:
enum DeltaOp : std::uint32_t { kCopy = 0, kSkip = 1, kInsert = 2 };  // kInsert: then `count` actions
constexpr std::uint32_t kCountMax = (std::uint32_t{1} << 30) - 1;
// How far ahead in the previous list an action is looked for before it is taken as new.
constexpr std::size_t kLookaheadMax = 16;

void put_op(std::vector<std::byte>& out, DeltaOp op, std::size_t count) {
  SIMBUS_ASSERT(count > 0 && count <= kCountMax);
  const std::uint32_t word = (static_cast<std::uint32_t>(op) << 30) | static_cast<std::uint32_t>(count);
  const auto* p = reinterpret_cast<const std::byte*>(&word);
  out.insert(out.end(), p, p + sizeof word);
}

}  // namespace

void encode_delta(std::span<const sim::EnabledAction> previous, std::span<const sim::EnabledAction> current,
                  std::vector<std::byte>& out) {
  out.clear();
  std::size_t i = 0;
  std::size_t j = 0;
  while (j < current.size()) {
    std::size_t run = 0;
    while (i + run < previous.size() && j + run < current.size() && same_action(previous[i + run], current[j + run])) {
      run += 1;
    }
    if (run > 0) {
      put_op(out, kCopy, run);
      i += run;
      j += run;
      continue;
    }
    std::size_t found = i + 1;
    const std::size_t ahead_end = std::min(previous.size(), i + 1 + kLookaheadMax);
    while (found < ahead_end && !same_action(previous[found], current[j])) found += 1;
    if (found < ahead_end) {
      put_op(out, kSkip, found - i);
      i = found;
      continue;
    }
    // current[j] is new. Either previous[i] reappears a little later in current (insert
    // what comes before it), or current[j] took previous[i]'s place.
    std::size_t fresh = current.size() - j;
    if (i < previous.size()) {
      std::size_t k = j + 1;
      const std::size_t ahead_current_end = std::min(current.size(), j + 1 + kLookaheadMax);
      while (k < ahead_current_end && !same_action(previous[i], current[k])) k += 1;
      if (k < ahead_current_end) {
        fresh = k - j;
      } else {
        fresh = 1;
        put_op(out, kSkip, 1);
        i += 1;
      }
    }
    put_op(out, kInsert, fresh);
    const auto bytes = std::as_bytes(current.subspan(j, fresh));
    out.insert(out.end(), bytes.begin(), bytes.end());
    j += fresh;
  }
}

void decode_delta(std::span<const sim::EnabledAction> previous, std::span<const std::byte> delta,
                  std::vector<sim::EnabledAction>& out) {
  out.clear();
  std::size_t i = 0;
  std::size_t at = 0;
  while (at < delta.size()) {
    const auto word = read_at<std::uint32_t>(delta, at);
    at += sizeof word;
    const std::size_t count = word & kCountMax;
    SIMBUS_ASSERT(count > 0);
    switch (static_cast<DeltaOp>(word >> 30)) {
      case kCopy:
        SIMBUS_ASSERT(count <= previous.size() - i);
        out.insert(out.end(), previous.begin() + static_cast<std::ptrdiff_t>(i),
                   previous.begin() + static_cast<std::ptrdiff_t>(i + count));
        i += count;
        break;
      case kSkip:
        SIMBUS_ASSERT(count <= previous.size() - i);
        i += count;
        break;
      case kInsert: {
        SIMBUS_ASSERT(count <= (delta.size() - at) / sizeof(sim::EnabledAction));
        const std::size_t first = out.size();
        out.resize(first + count);
        std::memcpy(out.data() + first, delta.data() + at, count * sizeof(sim::EnabledAction));
        at += count * sizeof(sim::EnabledAction);
        break;
      }
      default:
        SIMBUS_UNREACHABLE();
    }
  }
  SIMBUS_ASSERT(at == delta.size());
}

Tape::Tape() {
  void* p = ::mmap(nullptr, kHeaderBytes + kBytesMax, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error("isolation tape: mmap of 1 GiB (no reserve) failed");
  header_ = new (p) Header();
  base_ = static_cast<std::byte*>(p) + kHeaderBytes;
}

Tape::~Tape() {
  header_->~Header();
  ::munmap(header_, kHeaderBytes + kBytesMax);
}

bool Tape::append(TapeRecord type, std::span<const std::byte> a, std::span<const std::byte> b) {
  const std::size_t payload = a.size() + b.size();
  SIMBUS_ASSERT(payload <= UINT32_MAX);
  const std::size_t at = header_->used_bytes.load(std::memory_order_relaxed);
  const std::size_t total = aligned(kRecordHeaderBytes + payload);
  if (header_->overflowed.load(std::memory_order_relaxed) || total > kBytesMax - at) {
    header_->overflowed.store(true, std::memory_order_relaxed);
    return false;
  }
  const std::uint32_t head[2] = {static_cast<std::uint32_t>(type), static_cast<std::uint32_t>(payload)};
  std::memcpy(base_ + at, head, sizeof head);
  if (!a.empty()) std::memcpy(base_ + at + kRecordHeaderBytes, a.data(), a.size());
  if (!b.empty()) std::memcpy(base_ + at + kRecordHeaderBytes + a.size(), b.data(), b.size());
  // Published after the bytes: a reader that sees the new length sees the whole record.
  header_->used_bytes.store(at + total, std::memory_order_release);
  header_->appends.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool Tape::overflowed() const { return header_->overflowed.load(std::memory_order_relaxed); }
std::size_t Tape::used_bytes() const { return header_->used_bytes.load(std::memory_order_acquire); }
std::uint64_t Tape::appends() const { return header_->appends.load(std::memory_order_relaxed); }
bool Tape::warned() const { return header_->warned.load(std::memory_order_relaxed); }
void Tape::set_warned() { header_->warned.store(true, std::memory_order_relaxed); }

std::vector<Tape::Entry> Tape::entries() const {
  std::vector<Entry> out;
  const std::size_t end = used_bytes();
  SIMBUS_ASSERT(end <= kBytesMax);
  std::size_t at = 0;
  while (at < end) {
    SIMBUS_ASSERT(end - at >= kRecordHeaderBytes);
    std::uint32_t head[2];
    std::memcpy(head, base_ + at, sizeof head);
    SIMBUS_ASSERT(head[0] >= static_cast<std::uint32_t>(TapeRecord::kBegin) &&
                  head[0] <= static_cast<std::uint32_t>(TapeRecord::kError));
    const std::size_t total = aligned(kRecordHeaderBytes + head[1]);
    SIMBUS_ASSERT(total <= end - at);
    out.push_back({static_cast<TapeRecord>(head[0]), std::span<const std::byte>(base_ + at + kRecordHeaderBytes, head[1])});
    at += total;
  }
  SIMBUS_ASSERT(at == end);
  return out;
}

void Tape::reset() {
  const std::size_t used = used_bytes();
  if (used > 0) {
    // Shared anonymous pages are only given back by MADV_REMOVE.
    const std::size_t page = 4096;
    ::madvise(base_, (used + page - 1) / page * page, MADV_REMOVE);
  }
  header_->used_bytes.store(0, std::memory_order_release);
  header_->overflowed.store(false, std::memory_order_relaxed);
}

void RecordingStrategy::begin(std::uint64_t strategy_seed) {
  inner_->begin(strategy_seed);
  previous_.clear();
  tape_->append(TapeRecord::kBegin, bytes_of(strategy_seed));
}

std::size_t RecordingStrategy::pick(std::span<const sim::EnabledAction> enabled, const sim::PickContext& ctx) {
  const std::size_t index = inner_->pick(enabled, ctx);
  PickHead head;
  head.ctx = ctx;
  head.index = index;
  encode_delta(previous_, enabled, delta_);
  tape_->append(TapeRecord::kPick, bytes_of(head), std::span<const std::byte>(delta_));
  previous_.assign(enabled.begin(), enabled.end());
  return index;
}

std::optional<std::uint64_t> RecordingStrategy::choose_data(const sim::DataChoice& choice) {
  const std::optional<std::uint64_t> value = inner_->choose_data(choice);
  DataRecord r;
  r.choice = choice;
  r.has_value = value ? 1 : 0;
  r.value = value.value_or(0);
  tape_->append(TapeRecord::kData, bytes_of(r));
  return value;
}

void RecordingStrategy::note_hidden_write(sim::ObjectId object) {
  inner_->note_hidden_write(object);
  tape_->append(TapeRecord::kHiddenWrite, bytes_of(object));
}

void RecordingStrategy::note_lock_blocked(sim::ObjectId object) {
  inner_->note_lock_blocked(object);
  tape_->append(TapeRecord::kLockBlocked, bytes_of(object));
}

void RecordingStrategy::end_execution(bool completed) {
  inner_->end_execution(completed);
  const std::uint8_t flag = completed ? 1 : 0;
  tape_->append(TapeRecord::kEnd, bytes_of(flag));
}

TapeReplay replay_tape(const Tape& tape, sim::Strategy& strategy) {
  TapeReplay out;
  bool open = false;
  std::vector<sim::EnabledAction> enabled;  // the previous pick's list, then this one's
  std::vector<sim::EnabledAction> decoded;
  std::uint64_t executions = 0;
  for (const Tape::Entry& e : tape.entries()) {
    if (!out.matched) break;
    switch (e.type) {
      case TapeRecord::kBegin:
        SIMBUS_ASSERT(!open);
        strategy.begin(read_at<std::uint64_t>(e.bytes, 0));
        enabled.clear();
        open = true;
        out.partial_log.clear();
        break;
      case TapeRecord::kPick: {
        SIMBUS_ASSERT(open);
        const auto head = read_at<PickHead>(e.bytes, 0);
        decode_delta(enabled, e.bytes.subspan(sizeof(PickHead)), decoded);
        enabled.swap(decoded);
        SIMBUS_ASSERT(!enabled.empty());
        const std::size_t index = strategy.pick(enabled, head.ctx);
        if (index != head.index) {
          out.matched = false;
          out.mismatch = fmt::format("execution {} step {}: the strategy picked {} on replay, {} in the child",
                                     executions, head.ctx.step, index, head.index);
          break;
        }
        if (enabled.size() > 1 && index < enabled.size()) {
          sim::Choice c;
          c.kind = sim::Choice::Kind::kSchedule;
          c.actor = enabled[index].actor;
          c.seq = enabled[index].seq;
          c.index = static_cast<std::uint32_t>(index);
          c.options = static_cast<std::uint32_t>(enabled.size());
          c.step = head.ctx.step;
          out.partial_log.push_back(c);
        }
        break;
      }
      case TapeRecord::kData: {
        const auto r = read_at<DataRecord>(e.bytes, 0);
        const std::optional<std::uint64_t> value = strategy.choose_data(r.choice);
        if (value.has_value() != (r.has_value != 0) || value.value_or(0) != r.value) {
          out.matched = false;
          out.mismatch = fmt::format("execution {}: the strategy chose other data on replay", executions);
        }
        break;
      }
      case TapeRecord::kHiddenWrite:
        strategy.note_hidden_write(read_at<sim::ObjectId>(e.bytes, 0));
        break;
      case TapeRecord::kLockBlocked:
        strategy.note_lock_blocked(read_at<sim::ObjectId>(e.bytes, 0));
        break;
      case TapeRecord::kEnd:
        SIMBUS_ASSERT(open);
        strategy.end_execution(read_at<std::uint8_t>(e.bytes, 0) != 0);
        open = false;
        executions += 1;
        out.partial_log.clear();
        break;
      case TapeRecord::kResult:
      case TapeRecord::kFinish:
      case TapeRecord::kCheckpoint:
      case TapeRecord::kError:
        break;
    }
  }
  out.partial = open && out.matched;
  return out;
}

}  // namespace simbus::cli
