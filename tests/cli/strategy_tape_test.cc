#include "cli/strategy_tape.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <vector>

namespace simbus::cli {
namespace {

sim::EnabledAction action(std::uint64_t id) {
  sim::EnabledAction a;
  a.id = id;
  a.actor = static_cast<sim::FiberId>(id % 7);
  a.seq = static_cast<std::uint32_t>(id);
  a.object = id % 3;
  a.access = id % 2 ? sim::Access::kWrite : sim::Access::kRead;
  a.timeout = id % 5 == 0;
  return a;
}

std::vector<sim::EnabledAction> actions(const std::vector<std::uint8_t>& ids) {
  std::vector<sim::EnabledAction> out;
  for (std::uint8_t id : ids) out.push_back(action(id));
  return out;
}

bool same(const std::vector<sim::EnabledAction>& a, const std::vector<sim::EnabledAction>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].id != b[i].id || a[i].actor != b[i].actor || a[i].seq != b[i].seq || a[i].object != b[i].object ||
        a[i].access != b[i].access || a[i].timeout != b[i].timeout) {
      return false;
    }
  }
  return true;
}

// Any list decodes back from its edits of any previous list (ids repeat, lists shrink,
// grow, reorder).
RC_GTEST_PROP(TapeDelta, AnyListDecodesFromItsEditsOfAnyPrevious, ()) {
  const auto previous = actions(*rc::gen::container<std::vector<std::uint8_t>>(rc::gen::inRange<std::uint8_t>(0, 40)));
  const auto current = actions(*rc::gen::container<std::vector<std::uint8_t>>(rc::gen::inRange<std::uint8_t>(0, 40)));
  std::vector<std::byte> delta;
  encode_delta(previous, current, delta);
  std::vector<sim::EnabledAction> decoded;
  decode_delta(previous, delta, decoded);
  RC_ASSERT(same(decoded, current));
}

// The point of the encoding: one action retired and one added among hundreds costs a few
// words, not the whole list.
TEST(TapeDelta, OneChangeAmongHundredsIsAFewWords) {
  std::vector<sim::EnabledAction> previous;
  for (std::uint64_t id = 0; id < 700; ++id) previous.push_back(action(id));
  std::vector<sim::EnabledAction> current = previous;
  current.erase(current.begin() + 300);
  current.push_back(action(5000));
  std::vector<std::byte> delta;
  encode_delta(previous, current, delta);
  EXPECT_LE(delta.size(), 4 * sizeof(std::uint32_t) + sizeof(sim::EnabledAction));
  std::vector<sim::EnabledAction> decoded;
  decode_delta(previous, delta, decoded);
  EXPECT_TRUE(same(decoded, current));
}

}  // namespace
}  // namespace simbus::cli
