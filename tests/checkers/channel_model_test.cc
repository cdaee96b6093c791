// The broker's own objects under the linearizability search: a channel's event log,
// its channel info and its presence member set.
#include <gtest/gtest.h>

#include "checkers/linearizability.h"
#include "checkers/model.h"

namespace simbus::checkers {
namespace {

Operation op(std::int64_t process, const std::string& function, const std::string& channel,
             std::vector<Value> args, std::vector<Value> results, std::int64_t invoke, std::int64_t complete) {
  Operation o;
  o.process = process;
  o.function = function;
  o.key = channel;
  o.args = std::move(args);
  o.results = std::move(results);
  o.invoke_time = invoke;
  o.complete_time = complete;
  return o;
}

Value s(const char* text) { return Value{std::string(text)}; }
Value i(std::int64_t v) { return Value{v}; }

Verdict check(const History& h) {
  std::unique_ptr<Model> model = make_model("channel");
  return check_linearizable(h, *model, LinearizabilityLimits{}).verdict;
}

TEST(ChannelModel, ConcurrentPublishesTakeEitherNumber) {
  History h;
  h.operations = {op(1, "publish", "c", {s("a")}, {i(2)}, 0, 10), op(2, "publish", "c", {s("b")}, {i(1)}, 1, 9),
                  op(3, "read_log", "c", {}, {s("b"), s("a")}, 11, 12)};
  EXPECT_EQ(check(h), Verdict::linearizable);
  h.operations[2].results = {s("a"), s("b")};  // the log contradicts the numbers
  EXPECT_EQ(check(h), Verdict::not_linearizable);
}

TEST(ChannelModel, SequentialPublishesCannotShareANumber) {
  History h;
  h.operations = {op(1, "publish", "c", {s("a")}, {i(1)}, 0, 1), op(2, "publish", "c", {s("b")}, {i(1)}, 2, 3)};
  EXPECT_EQ(check(h), Verdict::not_linearizable);
  h.operations[1].key = "d";  // another channel counts from 1 again
  EXPECT_EQ(check(h), Verdict::linearizable);
}

// seq_last is the broker's linearizable read. A read may see a publish that has not
// returned yet, but once it has, no later read may miss it: a deposed leader answering
// from its old state is caught even when the publish's own reply is still in flight.
TEST(ChannelModel, SeqLastReadsAreOrderedByRealTime) {
  History h;
  h.operations = {op(1, "publish", "c", {s("a")}, {i(1)}, 0, 2), op(2, "publish", "c", {s("b")}, {}, 3, 0),
                  op(3, "seq_last", "c", {}, {i(2)}, 4, 5), op(4, "seq_last", "c", {}, {i(1)}, 6, 7)};
  h.operations[1].status = Status::info;  // b's reply never came
  EXPECT_EQ(check(h), Verdict::not_linearizable) << "read 4 missed b, which read 3 saw";
  h.operations[3].invoke_time = 4;  // concurrent reads may be ordered either way
  EXPECT_EQ(check(h), Verdict::linearizable);
  h.operations[3].results = {i(0)};  // a had returned before the read began
  EXPECT_EQ(check(h), Verdict::not_linearizable);
  h.operations[3].results = {i(3)};  // there is no third event
  EXPECT_EQ(check(h), Verdict::not_linearizable);
}

TEST(ChannelModel, SeqLastValuesAreValidated) {
  std::unique_ptr<Model> model = make_model("channel");
  EXPECT_EQ(model->validate(op(1, "seq_last", "c", {}, {i(0)}, 0, 1)), "");
  EXPECT_NE(model->validate(op(1, "seq_last", "c", {}, {s("x")}, 0, 1)), "");
  EXPECT_NE(model->validate(op(1, "seq_last", "c", {}, {i(-1)}, 0, 1)), "");
  EXPECT_NE(model->validate(op(1, "seq_last", "c", {s("x")}, {}, 0, 1)), "");
  EXPECT_NE(model->validate(op(1, "seq_last", "c", {}, {i(1), i(2)}, 0, 1)), "");
}

TEST(ChannelModel, ChannelInfoAndMembers) {
  History h;
  h.operations = {op(1, "subscribe", "p", {s("s1"), s("u1")}, {}, 0, 1),
                  op(2, "subscribe", "p", {s("s2"), s("u1")}, {}, 2, 3),
                  op(3, "channel_info", "p", {}, {i(1), i(2), i(1)}, 4, 5),
                  op(3, "members", "p", {}, {s("u1")}, 6, 7),
                  op(1, "unsubscribe", "p", {s("s1")}, {}, 8, 9),
                  op(3, "channel_info", "p", {}, {i(1), i(1), i(1)}, 10, 11)};
  EXPECT_EQ(check(h), Verdict::linearizable);
  h.operations[5].results = {i(0), i(0), i(0)};  // s2 is still there
  EXPECT_EQ(check(h), Verdict::not_linearizable);
}

TEST(ChannelModel, UnknownPublishMayHaveHappened) {
  History h;
  Operation maybe = op(1, "publish", "c", {s("a")}, {}, 0, 0);
  maybe.status = Status::info;
  maybe.complete_time = kTimeNever;
  h.operations = {maybe, op(2, "publish", "c", {s("b")}, {i(2)}, 5, 6)};
  EXPECT_EQ(check(h), Verdict::linearizable);
  h.operations[1].results = {i(3)};
  EXPECT_EQ(check(h), Verdict::not_linearizable);
}

TEST(ChannelModel, UnreadPayloadsDoNotMultiplyStates) {
  // Twelve publishes of unknown outcome, then one numbered 7 or 14: only how many of the
  // unknown ones happened matters, as long as nothing reads the log.
  History h;
  for (int p = 0; p < 12; ++p) {
    Operation maybe = op(p, "publish", "c", {s("e")}, {}, p, 0);
    std::get<std::string>(maybe.args[0]) += std::to_string(p);
    maybe.status = Status::info;
    maybe.complete_time = kTimeNever;
    h.operations.push_back(maybe);
  }
  h.operations.push_back(op(20, "publish", "c", {s("last")}, {i(7)}, 100, 101));
  LinearizabilityLimits limits;
  limits.steps_max = 1'000'000;
  std::unique_ptr<Model> model = make_model("channel");
  EXPECT_EQ(check_linearizable(h, *model, limits).verdict, Verdict::linearizable);
  h.operations.back().results = {i(14)};
  EXPECT_EQ(check_linearizable(h, *model, limits).verdict, Verdict::not_linearizable);
}

TEST(ChannelModel, ExplanationNamesUnplacedOperation) {
  History h;
  h.operations = {op(1, "publish", "c", {s("a")}, {i(1)}, 0, 1), op(2, "read_log", "c", {}, {}, 2, 3)};
  std::unique_ptr<Model> model = make_model("channel");
  LinearizabilityResult r = check_linearizable(h, *model, LinearizabilityLimits{});
  ASSERT_EQ(r.verdict, Verdict::not_linearizable);
  EXPECT_EQ(r.partial_linearization, std::vector<std::size_t>{0});
  EXPECT_EQ(r.unplaced, std::vector<std::size_t>{1});
  EXPECT_EQ(r.key, "c");
}

TEST(Limits, StepLimitGivesUnknownDeterministically) {
  // Many concurrent writes and a read that none explains: the search must try them all.
  History h;
  for (int p = 0; p < 12; ++p) h.operations.push_back(op(p, "write", "", {i(p)}, {}, 0, 100));
  h.operations.push_back(op(20, "read", "", {}, {i(99)}, 101, 102));
  std::unique_ptr<Model> model = make_model("register");
  LinearizabilityLimits limits;
  limits.steps_max = 1000;
  LinearizabilityResult a = check_linearizable(h, *model, limits);
  LinearizabilityResult b = check_linearizable(h, *model, limits);
  EXPECT_EQ(a.verdict, Verdict::unknown);
  EXPECT_EQ(a.steps, b.steps);
  EXPECT_EQ(a.explanation, b.explanation);
}

}  // namespace
}  // namespace simbus::checkers
