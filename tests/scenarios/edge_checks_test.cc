// The checks added after mutation testing (broker-edges and storage-crash): each one fails
// on an answer or a recovered state that breaks it, passes on a right one, and the two
// scenarios pass with no bug on.
#include <gtest/gtest.h>

#include "scenarios/broker_edge.h"
#include "scenarios/scenario.h"
#include "scenarios/storage_crash.h"

namespace simbus::scenarios {
namespace {

using core::Status;

TEST(EdgeChecks, ChannelNameRule) {
  for (const char* valid : {"a", "news-1", "Edge_name=@,.;-9", "private-x", "presence-room", "private", "private-private-"}) {
    EXPECT_TRUE(edge::spec_valid_channel_name(valid)) << valid;
  }
  EXPECT_TRUE(edge::spec_valid_channel_name(std::string(164, 'n')));
  for (const char* invalid : {"", "private-", "presence-", "bad name", "bad#name", "a/b", "a:b", "caf\xc3\xa9"}) {
    EXPECT_FALSE(edge::spec_valid_channel_name(invalid)) << invalid;
  }
  EXPECT_FALSE(edge::spec_valid_channel_name(std::string(165, 'n')));
}

TEST(EdgeChecks, ChannelAnswerFailsOnAWrongStatus) {
  EXPECT_EQ(edge::judge_channel_answer("subscribe", "private-x", Status::ok), "");
  EXPECT_EQ(edge::judge_channel_answer("subscribe", "presence-", Status::invalid_channel), "");
  // A bare prefix accepted (names.cc's `&&` turned into `||` answers this way).
  EXPECT_NE(edge::judge_channel_answer("subscribe", "presence-", Status::ok), "");
  EXPECT_NE(edge::judge_channel_answer("channel_info", "news-1", Status::invalid_channel), "");
  EXPECT_NE(edge::judge_channel_answer("channel_info", "bad name", Status::auth_failed), "");
}

TEST(EdgeChecks, PresenceAnswerFailsOnAcceptedMalformedData) {
  core::SubscribeReply ok;
  ok.status = Status::ok;
  ok.members = {core::Member{"alice", ""}};
  core::SubscribeReply refused;
  refused.status = Status::invalid_request;
  EXPECT_EQ(edge::judge_presence_answer(R"({"user_id":"alice"})", "alice", ok), "");
  EXPECT_EQ(edge::judge_presence_answer(R"({"user_id":"abc)", std::nullopt, refused), "");
  EXPECT_NE(edge::judge_presence_answer(R"({"user_id":"abc)", std::nullopt, ok), "");  // unterminated, accepted
  EXPECT_NE(edge::judge_presence_answer(R"({"user_id":"alice"})", "alice", refused), "");
  EXPECT_NE(edge::judge_presence_answer(R"({"user_id":"bob"})", "bob", ok), "");  // bob not a member
}

TEST(EdgeChecks, MembersFailWhenALeaverIsStillListed) {
  EXPECT_EQ(edge::judge_members("after a leave", {"b"}, {"b"}), "");
  EXPECT_NE(edge::judge_members("after a leave", {"a", "b"}, {"b"}), "");
  EXPECT_NE(edge::judge_members("after a re-join", {"b"}, {"a", "b"}), "");
}

TEST(EdgeChecks, AfterCloseFailsWhenTheOpenConnectionMissesOrTheClosedOneReceives) {
  using Got = std::set<std::pair<std::string, std::string>>;
  EXPECT_EQ(edge::judge_after_close(Got{{"s2", "two"}, {"s1", "one"}}, "s2", "s1", "two"), "");
  EXPECT_NE(edge::judge_after_close(Got{{"s1", "one"}, {"s2", "one"}}, "s2", "s1", "two"), "");
  EXPECT_NE(edge::judge_after_close(Got{{"s1", "two"}, {"s2", "two"}}, "s2", "s1", "two"), "");
}

TEST(EdgeChecks, PublishAnswerFailsOnALimitOffByOne) {
  EXPECT_EQ(edge::judge_publish_answer("x", 10 * 1024, 3, 1, core::Status::ok), "");
  EXPECT_EQ(edge::judge_publish_answer("x", 10 * 1024 + 1, 3, 1, core::Status::invalid_request), "");
  EXPECT_EQ(edge::judge_publish_answer("x", 1, 200, 100, core::Status::ok), "");
  EXPECT_EQ(edge::judge_publish_answer("x", 1, 3, 101, core::Status::too_many_channels), "");
  // Each bound moved by one, either way, fails.
  EXPECT_NE(edge::judge_publish_answer("x", 10 * 1024, 3, 1, core::Status::invalid_request), "");
  EXPECT_NE(edge::judge_publish_answer("x", 10 * 1024 + 1, 3, 1, core::Status::ok), "");
  EXPECT_NE(edge::judge_publish_answer("x", 1, 200, 1, core::Status::invalid_request), "");
  EXPECT_NE(edge::judge_publish_answer("x", 1, 201, 1, core::Status::ok), "");
  EXPECT_NE(edge::judge_publish_answer("x", 1, 0, 1, core::Status::ok), "");
  EXPECT_NE(edge::judge_publish_answer("x", 1, 3, 100, core::Status::too_many_channels), "");
  EXPECT_NE(edge::judge_publish_answer("x", 1, 3, 101, core::Status::ok), "");
  EXPECT_NE(edge::judge_publish_answer("x", 1, 3, 0, core::Status::ok), "");
}

TEST(EdgeChecks, ResumeFailsWithoutTheMissedNoticeOrWithAGap) {
  const core::MissedEvents missed{"s", "c", 2, 10};
  std::vector<std::uint64_t> all;
  for (std::uint64_t seq = 11; seq <= 138; ++seq) all.push_back(seq);
  EXPECT_EQ(edge::judge_resume(1, 138, missed, all), "");
  EXPECT_NE(edge::judge_resume(1, 138, std::nullopt, all), "");          // notice ignored
  EXPECT_NE(edge::judge_resume(1, 138, missed, {}), "");                  // stuck at the gap
  EXPECT_NE(edge::judge_resume(1, 138, core::MissedEvents{"s", "c", 3, 10}, all), "");  // wrong range
  std::vector<std::uint64_t> holed = all;
  holed.erase(holed.begin() + 5);
  EXPECT_NE(edge::judge_resume(1, 138, missed, holed), "");
}

core::LogEntry entry(std::uint64_t index, std::uint64_t term) { return core::LogEntry{term, index, core::Bytes{1, 2}}; }

// A model where entries 1..6 of term 2 were appended and synced, hard state (2, 1), and a
// snapshot at 3 saved.
StorageModel synced_model() {
  StorageModel m;
  for (std::uint64_t i = 1; i <= 6; ++i) {
    m.ever_written.emplace(i, entry(i, 2));
    if (i > 3) m.durable[i] = m.current[i] = entry(i, 2);
  }
  m.durable_hard = m.current_hard = core::HardState{2, 1};
  m.hard_saved = {core::HardState{1, core::no_node}, core::HardState{2, 1}};
  m.snapshot_index = m.durable_snapshot_index = 3;
  m.snapshots_saved[3] = core::Snapshot{3, 2, core::Bytes{9}};
  return m;
}

core::RecoveredState good_recovery() {
  core::RecoveredState r;
  r.hard_state = core::HardState{2, 1};
  r.snapshot = core::Snapshot{3, 2, core::Bytes{9}};
  // The log a compaction replaced may still start before the snapshot.
  for (std::uint64_t i = 2; i <= 6; ++i) r.entries.push_back(entry(i, 2));
  return r;
}

TEST(StorageDurability, AGoodRecoveryPasses) {
  StorageModel m = synced_model();
  check_recovered(m, good_recovery(), 2);
  EXPECT_EQ(m.failure, "");
}

TEST(StorageDurability, ASyncedEntryLostFails) {
  StorageModel m = synced_model();
  core::RecoveredState r = good_recovery();
  r.entries.pop_back();
  check_recovered(m, r, 2);
  EXPECT_NE(m.failure.find("synced"), std::string::npos) << m.failure;
}

TEST(StorageDurability, AnEntryAfterAGapDoesNotCount) {
  StorageModel m = synced_model();
  core::RecoveredState r = good_recovery();
  r.entries.erase(r.entries.begin() + 2);  // index 4 gone: 5 and 6 are not Raft's any more
  check_recovered(m, r, 2);
  EXPECT_NE(m.failure, "");
}

TEST(StorageDurability, TermOrSnapshotGoingBackFails) {
  StorageModel m = synced_model();
  core::RecoveredState r = good_recovery();
  r.hard_state = core::HardState{1, core::no_node};
  check_recovered(m, r, 2);
  EXPECT_NE(m.failure.find("term went back"), std::string::npos) << m.failure;

  m = synced_model();
  r = good_recovery();
  r.snapshot.reset();
  check_recovered(m, r, 2);
  EXPECT_NE(m.failure.find("snapshot went back"), std::string::npos) << m.failure;
}

TEST(StorageDurability, SomethingNeverWrittenFails) {
  StorageModel m = synced_model();
  core::RecoveredState r = good_recovery();
  r.entries.push_back(entry(7, 2));
  check_recovered(m, r, 2);
  EXPECT_NE(m.failure.find("never appended"), std::string::npos) << m.failure;

  m = synced_model();
  r = good_recovery();
  r.snapshot->data = core::Bytes{8};
  check_recovered(m, r, 2);
  EXPECT_NE(m.failure.find("never saved"), std::string::npos) << m.failure;

  m = synced_model();
  r = good_recovery();
  r.hard_state = core::HardState{2, 0};
  check_recovered(m, r, 2);
  EXPECT_NE(m.failure.find("never saved"), std::string::npos) << m.failure;
}

TEST(EdgeScenarios, PassWithNoBugOn) {
  for (const char* name : {"broker-edges", "broker-limits", "storage-crash"}) {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
      RunRequest request;
      request.scenario = name;
      request.seed = seed;
      const RunResult r = run_scenario(request);
      EXPECT_EQ(r.outcome.status, sim::RunStatus::kOk) << name << " seed " << seed << ": " << r.outcome.check << ": "
                                                     << r.outcome.message;
    }
  }
}

}  // namespace
}  // namespace simbus::scenarios
