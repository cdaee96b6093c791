// The search against a brute-force oracle (every order consistent with real time, every
// subset of the unknown operations) on small random register, kv and channel (publish and
// seq_last, the broker's linearizable read) histories, made both
// from real executions (linearizable) and with one result corrupted (mostly not).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "checkers/linearizability.h"
#include "checkers/model.h"

namespace simbus::checkers {
namespace {

// Operations per generated history: the oracle is exponential in it.
constexpr int kOpsMax = 8;
constexpr int kProcessesMax = 3;

// ---- The oracle's own sequential specifications, independent of checkers/model_*.cc. ----

enum class Object { reg, kv, channel };

struct OracleState {
  Value reg;                 // register
  std::string text;          // kv (one key)
  std::int64_t seq_last = 0; // channel: events published so far
};

// The state after `op`, or nullopt if its recorded result is impossible in `s`.
std::optional<OracleState> oracle_step(Object object, const OracleState& s, const Operation& op) {
  const bool known = op.status == Status::ok && !op.results.empty();
  OracleState n = s;
  if (object == Object::channel) {
    const std::int64_t expected = op.function == "publish" ? s.seq_last + 1 : s.seq_last;
    if (known && std::get<std::int64_t>(op.results[0]) != expected) return std::nullopt;
    n.seq_last = expected;
    return n;
  }
  if (object == Object::kv) {
    if (op.function == "get") {
      if (known && std::get<std::string>(op.results[0]) != s.text) return std::nullopt;
    } else if (op.function == "put") {
      n.text = std::get<std::string>(op.args[0]);
    } else {
      n.text += std::get<std::string>(op.args[0]);
    }
    return n;
  }
  if (op.function == "read") {
    if (known && op.results[0] != s.reg) return std::nullopt;
  } else if (op.function == "write") {
    n.reg = op.args[0];
  } else if (!known) {
    if (s.reg == op.args[0]) n.reg = op.args[1];
  } else if (std::get<std::int64_t>(op.results[0]) == 1) {
    if (s.reg != op.args[0]) return std::nullopt;
    n.reg = op.args[1];
  } else if (s.reg == op.args[0]) {
    return std::nullopt;
  }
  return n;
}

// Depth-first over every order: an operation may go next if every operation that returned
// before its invoke is placed. Unknown operations may also be left out.
bool oracle_search(Object object, const std::vector<Operation>& ops, std::vector<bool>& placed,
                   const OracleState& state) {
  bool all_required = true;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (!placed[i] && ops[i].status == Status::ok) all_required = false;
  }
  if (all_required) return true;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (placed[i]) continue;
    bool allowed = true;
    for (std::size_t j = 0; j < ops.size() && allowed; ++j) {
      if (!placed[j] && j != i && precedes(ops[j], ops[i])) allowed = false;
    }
    if (!allowed) continue;
    std::optional<OracleState> next = oracle_step(object, state, ops[i]);
    if (!next) continue;
    placed[i] = true;
    bool ok = oracle_search(object, ops, placed, *next);
    placed[i] = false;
    if (ok) return true;
  }
  return false;
}

bool oracle_linearizable(Object object, const History& history, const Value& initial) {
  std::vector<Operation> ops;
  for (const Operation& op : history.operations) {
    if (op.status != Status::fail) ops.push_back(op);
  }
  std::vector<bool> placed(ops.size(), false);
  OracleState start{initial, ""};
  return oracle_search(object, ops, placed, start);
}

// ---- Random executions. ----

// Runs processes against a real object, each operation taking effect at a random moment
// between its invoke and its completion; some end as info (taking effect or not) or
// fail (not taking effect). With `corrupt`, one recorded result is then changed.
History random_history(std::mt19937_64& rng, Object object, bool corrupt) {
  const bool kv = object == Object::kv;
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
  const int processes = 1 + pick(kProcessesMax);
  const int ops_total = 1 + pick(kOpsMax);
  History h;
  OracleState truth{kv ? Value{} : Value{std::int64_t{0}}, ""};
  std::vector<int> open(processes, -1);   // process -> operation
  std::vector<bool> applied;
  std::vector<int> fate;                  // 0 ok, 1 info, 2 fail
  int started = 0;
  std::int64_t time = 0;
  auto apply = [&](int i) {
    Operation& op = h.operations[i];
    applied[i] = true;
    if (fate[i] == 2) return;
    if (fate[i] == 1 && pick(2) == 0) return;  // an unknown that never happened
    if (object == Object::channel) {
      if (op.function == "publish") truth.seq_last += 1;
      op.results = {Value{truth.seq_last}};
    } else if (kv) {
      if (op.function == "get") op.results = {Value{truth.text}};
      else if (op.function == "put") truth.text = std::get<std::string>(op.args[0]);
      else truth.text += std::get<std::string>(op.args[0]);
    } else if (op.function == "read") {
      op.results = {truth.reg};
    } else if (op.function == "write") {
      truth.reg = op.args[0];
    } else {
      bool swap = truth.reg == op.args[0];
      if (swap) truth.reg = op.args[1];
      op.results = {Value{std::int64_t{swap ? 1 : 0}}};
    }
  };
  while (true) {
    std::vector<int> idle, busy;
    for (int p = 0; p < processes; ++p) (open[p] < 0 ? idle : busy).push_back(p);
    if (started == ops_total && busy.empty()) break;
    time += 1;
    const int choice = pick(3);
    if (choice == 0 && started < ops_total && !idle.empty()) {
      const int p = idle[pick(static_cast<int>(idle.size()))];
      Operation op;
      op.process = p;
      op.invoke_time = time;
      const int f = pick(3);
      if (object == Object::channel) {
        op.key = "c";
        op.function = f == 0 ? "seq_last" : "publish";
        if (f != 0) op.args = {Value{std::string("e") + std::to_string(started)}};
      } else if (kv) {
        std::string arg = std::string(1, static_cast<char>('a' + pick(2)));
        op.function = f == 0 ? "get" : f == 1 ? "put" : "append";
        if (f != 0) op.args = {Value{arg}};
      } else {
        op.function = f == 0 ? "read" : f == 1 ? "write" : "cas";
        if (f == 1) op.args = {Value{std::int64_t{pick(3)}}};
        if (f == 2) op.args = {Value{std::int64_t{pick(3)}}, Value{std::int64_t{pick(3)}}};
      }
      open[p] = static_cast<int>(h.operations.size());
      h.operations.push_back(op);
      applied.push_back(false);
      const int r = pick(10);
      fate.push_back(r < 7 ? 0 : r < 9 ? 1 : 2);
      started += 1;
    } else if (choice == 1 && !busy.empty()) {
      const int p = busy[pick(static_cast<int>(busy.size()))];
      const int i = open[p];
      if (!applied[i]) apply(i);
    } else if (!busy.empty()) {
      const int p = busy[pick(static_cast<int>(busy.size()))];
      const int i = open[p];
      if (!applied[i]) apply(i);
      Operation& op = h.operations[i];
      op.complete_time = time;
      op.status = fate[i] == 0 ? Status::ok : fate[i] == 1 ? Status::info : Status::fail;
      if (op.status != Status::ok) op.results.clear();
      if (op.status == Status::info) op.complete_time = kTimeNever;
      open[p] = -1;
    }
  }
  if (corrupt) {
    std::vector<int> readers;
    for (std::size_t i = 0; i < h.operations.size(); ++i) {
      if (!h.operations[i].results.empty()) readers.push_back(static_cast<int>(i));
    }
    if (!readers.empty()) {
      Operation& op = h.operations[readers[pick(static_cast<int>(readers.size()))]];
      if (object == Object::channel) op.results = {Value{std::int64_t{pick(4)}}};
      else if (kv) op.results = {Value{std::string(1, static_cast<char>('a' + pick(2))) + "b"}};
      else if (op.function == "cas") op.results = {Value{std::int64_t{1 - std::get<std::int64_t>(op.results[0])}}};
      else op.results = {Value{std::int64_t{pick(3)}}};
    }
  }
  return h;
}

struct Tally {
  int linearizable = 0;
  int not_linearizable = 0;
};

// Compares checker and oracle on one history; returns the oracle's verdict.
bool agree(const History& h, Object object, Tally& tally) {
  std::unique_ptr<Model> model = object == Object::channel ? make_model("channel")
                                 : object == Object::kv    ? make_kv_model()
                                                           : make_register_model(Value{std::int64_t{0}});
  const bool expected = oracle_linearizable(object, h, Value{std::int64_t{0}});
  LinearizabilityResult r = check_linearizable(h, *model, LinearizabilityLimits{});
  (expected ? tally.linearizable : tally.not_linearizable) += 1;
  return r.verdict == (expected ? Verdict::linearizable : Verdict::not_linearizable);
}

std::string dump(const History& h) {
  std::string out;
  for (const Operation& op : h.operations) {
    out += format_operation(op) + " [" + std::to_string(op.invoke_time) + ", " +
           (op.status == Status::info ? std::string("-") : std::to_string(op.complete_time)) + "]\n";
  }
  return out;
}

// Fixed seeds: the same thousands of histories on every run.
TEST(LinearizabilityOracle, ThousandsOfFixedSeeds) {
  constexpr int kHistories = 4000;
  Tally tally;
  for (int seed = 0; seed < kHistories; ++seed) {
    std::mt19937_64 rng(static_cast<std::uint64_t>(seed));
    const auto object = static_cast<Object>(seed % 3);
    History h = random_history(rng, object, (seed / 3) % 2 == 1);
    ASSERT_TRUE(agree(h, object, tally)) << "seed " << seed << " object " << static_cast<int>(object) << "\n"
                                         << dump(h);
  }
  // Both verdicts must be well represented, or the comparison proves little.
  std::printf("linearizable %d, not %d\n", tally.linearizable, tally.not_linearizable);
  EXPECT_GT(tally.linearizable, kHistories / 4);
  EXPECT_GT(tally.not_linearizable, kHistories / 10);
}

// A fixed seed and more cases than rapidcheck's default, unless RC_PARAMS says otherwise:
// rapidcheck reads it once, on first use, after static initialisation.
const bool kRapidcheckConfigured = setenv("RC_PARAMS", "seed=20261125 max_success=2000", 0) == 0;

RC_GTEST_PROP(LinearizabilityOracle, RandomHistoriesAgree, ()) {
  RC_PRE(kRapidcheckConfigured);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  const auto object = static_cast<Object>(*rc::gen::inRange(0, 3));
  const bool corrupt = *rc::gen::arbitrary<bool>();
  std::mt19937_64 rng(seed);
  History h = random_history(rng, object, corrupt);
  Tally tally;
  RC_ASSERT(agree(h, object, tally));
}

}  // namespace
}  // namespace simbus::checkers
