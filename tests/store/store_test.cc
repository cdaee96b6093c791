// The results store (store/store.h): batches and failures round-trip, triage groups by
// signature and flags what the baseline did not see, bad files are refused, concurrent
// writers on one host lose nothing, and a writer killed inside its transaction leaves
// every committed batch readable and none of its own.
#include "store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/temp_dir.h"

namespace simbus::store {
namespace {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  simbus::test::TempDir dir_;
  std::string path_ = dir_.file("results.db");
};

Batch batch(const std::string& commit, const std::string& scenario = "racy-counter") {
  Batch b;
  b.command = "explore";
  b.scenario = scenario;
  b.strategy = "random";
  b.schedule = "seeds 1..10 shard 0/1";
  b.seed_start = 1;
  b.runs = 10;
  b.executions = 10;
  b.distinct_schedules = 10;
  b.commit = commit;
  b.version = "test";
  b.started_at = "2026-12-04T00:00:00Z";
  b.host = "test-host";
  return b;
}

Failure failure(const std::string& key, std::uint64_t seed, std::uint64_t choices) {
  Failure f;
  f.check = key.substr(0, key.find(' '));
  f.signature_id = "id-" + key.substr(0, key.find(' '));
  f.signature_key = key;
  f.status = "failed";
  f.message = key + " at seed " + std::to_string(seed);
  f.reproduce = "simbus run racy-counter --seed " + std::to_string(seed);
  f.seed = seed;
  f.execution = seed;
  f.choices = choices;
  f.trace_hash = 0xfeedface00000000ULL + seed;
  return f;
}

// SQLite's own verdict on the file: "ok" or the first problem.
std::string integrity(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr), SQLITE_OK);
  std::string out = "no answer";
  if (sqlite3_step(stmt) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

std::int64_t scalar(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::int64_t v = -1;
  if (sqlite3_step(stmt) == SQLITE_ROW) v = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return v;
}

void exec_sql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

const TriageRow* row_of(const Triage& t, const std::string& key) {
  for (const TriageRow& r : t.rows) {
    if (r.signature_key == key) return &r;
  }
  return nullptr;
}

TEST_F(StoreTest, RecordsBatchesAndGroupsFailuresBySignature) {
  {
    Store s(path_, Store::Mode::kCreate);
    EXPECT_EQ(s.batch_count(), 0u);
    const std::int64_t id = s.record(batch("c1"), {failure("atomic lost-update", 7, 90), failure("atomic lost-update", 3, 40),
                                                   failure("deadlock all-blocked", 5, 0)});
    EXPECT_GT(id, 0);
    EXPECT_EQ(s.batch_count(), 1u);
  }
  const Store s(path_, Store::Mode::kReadOnly);
  const Triage t = s.triage(std::nullopt);
  EXPECT_EQ(t.batches, 1u);
  EXPECT_EQ(t.executions, 10u);
  EXPECT_EQ(t.baseline_commit, "");  // one commit: nothing before it
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.new_count(), 2u);
  const TriageRow* lost = row_of(t, "atomic lost-update");
  ASSERT_NE(lost, nullptr);
  EXPECT_EQ(lost->count, 2u);
  EXPECT_EQ(lost->batches, 1u);
  EXPECT_EQ(lost->scenarios, "racy-counter");
  // The shortest reproduce line is the one with the fewest known choices.
  EXPECT_EQ(lost->reproduce, "simbus run racy-counter --seed 3");
  EXPECT_EQ(lost->reproduce_choices, 40u);
  EXPECT_EQ(lost->message, "atomic lost-update at seed 7");  // the first recorded
  EXPECT_EQ(lost->first_seen.commit, "c1");
  // Sorted by count among the new ones.
  EXPECT_EQ(t.rows.front().signature_key, "atomic lost-update");
  EXPECT_EQ(integrity(path_), "ok");
}

TEST_F(StoreTest, UnknownChoicesComeLastWhenPickingTheReproduceLine) {
  Store s(path_, Store::Mode::kCreate);
  s.record(batch("c1"), {failure("x y", 11, 0), failure("x y", 12, 500)});
  const Triage t = s.triage(std::nullopt);
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0].reproduce, "simbus run racy-counter --seed 12");
}

TEST_F(StoreTest, DefaultBaselineIsEverythingBeforeTheNewestCommit) {
  Store s(path_, Store::Mode::kCreate);
  s.record(batch("aaaa1111"), {failure("atomic lost-update", 1, 10)});
  s.record(batch("aaaa1111"), {});
  s.record(batch("bbbb2222", "broker-smoke"), {failure("atomic lost-update", 2, 10), failure("delivery echoed", 3, 10)});
  const Triage t = s.triage(std::nullopt);
  EXPECT_EQ(t.baseline_commit, "aaaa1111");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.new_count(), 1u);
  EXPECT_TRUE(t.rows[0].is_new);  // new first
  EXPECT_EQ(t.rows[0].signature_key, "delivery echoed");
  const TriageRow* known = row_of(t, "atomic lost-update");
  ASSERT_NE(known, nullptr);
  EXPECT_FALSE(known->is_new);
  EXPECT_EQ(known->first_seen.commit, "aaaa1111");
  EXPECT_EQ(known->last_seen.commit, "bbbb2222");
  EXPECT_EQ(known->batches, 2u);
  EXPECT_EQ(known->scenarios.find("racy-counter") != std::string::npos, true);
  EXPECT_EQ(known->scenarios.find("broker-smoke") != std::string::npos, true);
}

TEST_F(StoreTest, ExplicitBaselineByCommitOrUniquePrefix) {
  Store s(path_, Store::Mode::kCreate);
  s.record(batch("aaaa1111"), {failure("a a", 1, 1)});
  s.record(batch("aaab2222"), {failure("b b", 1, 1)});
  s.record(batch("cccc3333"), {failure("c c", 1, 1)});
  // Baseline the first commit: b and c are new.
  const Triage first = s.triage(std::string("aaaa1111"));
  EXPECT_EQ(first.baseline_commit, "aaaa1111");
  EXPECT_EQ(first.new_count(), 2u);
  EXPECT_FALSE(row_of(first, "a a")->is_new);
  // A unique prefix.
  const Triage second = s.triage(std::string("aaab"));
  EXPECT_EQ(second.baseline_commit, "aaab2222");
  EXPECT_EQ(second.new_count(), 1u);
  EXPECT_TRUE(row_of(second, "c c")->is_new);
  // The newest commit as baseline: nothing is new.
  EXPECT_EQ(s.triage(std::string("cccc3333")).new_count(), 0u);
  // An ambiguous prefix and an unknown commit are errors naming the file.
  try {
    s.triage(std::string("aaa"));
    FAIL() << "ambiguous prefix accepted";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("prefix of more than one commit"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path_), std::string::npos) << e.what();
  }
  EXPECT_THROW(s.triage(std::string("dddd")), StoreError);
}

TEST_F(StoreTest, ReadOnlyRefusesAMissingStoreAndCreatesNothing) {
  EXPECT_THROW(Store(path_, Store::Mode::kReadOnly), StoreError);
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(StoreTest, RefusesFilesThatAreNotStores) {
  {
    std::ofstream out(path_);
    out << "this is a text file, not SQLite\n";
  }
  EXPECT_THROW(Store(path_, Store::Mode::kReadOnly), StoreError);
  EXPECT_THROW(Store(path_, Store::Mode::kCreate), StoreError);
  // The text is still there: a refused file is never overwritten.
  std::ifstream in(path_);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "this is a text file, not SQLite");

  // A SQLite file of someone else's.
  const std::string other = dir_.file("other.db");
  exec_sql(other, "CREATE TABLE customers(id INTEGER)");
  try {
    Store s(other, Store::Mode::kCreate);
    FAIL() << "a foreign SQLite database was accepted";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("not a simbus store"), std::string::npos) << e.what();
  }
  // A directory.
  EXPECT_THROW(Store(dir_.path(), Store::Mode::kCreate), StoreError);
}

TEST_F(StoreTest, RefusesANewerSchema) {
  { Store s(path_, Store::Mode::kCreate); }
  exec_sql(path_, "UPDATE meta SET value = '2' WHERE key = 'schema_version'");
  for (const Store::Mode mode : {Store::Mode::kReadOnly, Store::Mode::kCreate}) {
    try {
      Store s(path_, mode);
      FAIL() << "schema 2 accepted";
    } catch (const StoreError& e) {
      EXPECT_NE(std::string(e.what()).find("newer than this simbus reads"), std::string::npos) << e.what();
    }
  }
  exec_sql(path_, "UPDATE meta SET value = 'x' WHERE key = 'schema_version'");
  EXPECT_THROW(Store(path_, Store::Mode::kReadOnly), StoreError);
}

TEST_F(StoreTest, LargeSeedsAndHashesSurvive) {
  Store s(path_, Store::Mode::kCreate);
  Batch b = batch("c1");
  b.seed_start = UINT64_MAX;
  b.runs = std::nullopt;
  Failure f = failure("x y", UINT64_MAX, 0);
  f.trace_hash = UINT64_MAX;
  s.record(b, {f});
  EXPECT_EQ(scalar(path_, "SELECT count(*) FROM failures WHERE seed = '18446744073709551615' AND "
                          "trace_hash = 'ffffffffffffffff'"),
            1);
  EXPECT_EQ(scalar(path_, "SELECT count(*) FROM batches WHERE runs IS NULL"), 1);
}

// Shards of one host write one store at once: every batch of every writer is there.
TEST_F(StoreTest, ConcurrentWritersLoseNothing) {
  constexpr int kWriters = 4;
  constexpr int kBatchesPerWriter = 25;
  constexpr int kFailuresPerBatch = 3;
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int code = 0;
      try {
        // Each writer opens the store itself, the first creating it, as shards do.
        Store s(path_, Store::Mode::kCreate);
        for (int i = 0; i < kBatchesPerWriter; ++i) {
          Batch b = batch("c1");
          b.shard_index = static_cast<std::uint32_t>(w);
          b.shard_count = kWriters;
          // The keys as literals: g++ 12 warns (falsely) on "w" + to_string(k) + " x" here.
          const char* const keys[kFailuresPerBatch] = {"w0 x", "w1 x", "w2 x"};
          std::vector<Failure> fs;
          for (const char* key : keys) fs.push_back(failure(key, static_cast<std::uint64_t>(i), 1));
          s.record(b, fs);
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "writer %d: %s\n", w, e.what());
        code = 1;
      }
      std::_Exit(code);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  const Store s(path_, Store::Mode::kReadOnly);
  EXPECT_EQ(s.batch_count(), static_cast<std::uint64_t>(kWriters * kBatchesPerWriter));
  EXPECT_EQ(scalar(path_, "SELECT count(*) FROM failures"), kWriters * kBatchesPerWriter * kFailuresPerBatch);
  for (int w = 0; w < kWriters; ++w) {
    const std::string sql = "SELECT count(*) FROM batches WHERE shard_index = " + std::to_string(w);
    EXPECT_EQ(scalar(path_, sql.c_str()), kBatchesPerWriter);
  }
  // Every failure belongs to a batch, and each batch's failure count matches its rows.
  EXPECT_EQ(scalar(path_, "SELECT count(*) FROM failures WHERE batch_id NOT IN (SELECT id FROM batches)"), 0);
  EXPECT_EQ(scalar(path_, "SELECT count(*) FROM batches b WHERE failures != (SELECT count(*) FROM failures f "
                          "WHERE f.batch_id = b.id)"),
            0);
  EXPECT_EQ(s.triage(std::nullopt).rows.size(), static_cast<std::size_t>(kFailuresPerBatch));
  EXPECT_EQ(integrity(path_), "ok");
}

// SIGKILL inside the transaction, after every row of the batch was written: the store
// opens, passes SQLite's integrity check, holds every committed batch and none of the
// killed one, and takes new batches.
TEST_F(StoreTest, WriterKilledMidTransactionLeavesCommittedBatches) {
  {
    Store s(path_, Store::Mode::kCreate);
    for (int i = 0; i < 3; ++i) s.record(batch("c1"), {failure("kept one", static_cast<std::uint64_t>(i), 1)});
  }
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    try {
      Store s(path_, Store::Mode::kCreate);
      std::vector<Failure> many;
      for (int k = 0; k < 500; ++k) many.push_back(failure("lost one", static_cast<std::uint64_t>(k), 1));
      s.record(batch("c2"), many, [] { ::raise(SIGKILL); });
    } catch (...) {
    }
    std::_Exit(3);  // not reached: the hook kills the process
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);

  EXPECT_EQ(integrity(path_), "ok");
  {
    const Store s(path_, Store::Mode::kReadOnly);
    EXPECT_EQ(s.batch_count(), 3u);
    const Triage t = s.triage(std::nullopt);
    ASSERT_EQ(t.rows.size(), 1u);
    EXPECT_EQ(t.rows[0].signature_key, "kept one");
    EXPECT_EQ(t.rows[0].count, 3u);
  }
  EXPECT_EQ(scalar(path_, "SELECT count(*) FROM failures WHERE signature_key = 'lost one'"), 0);
  Store s(path_, Store::Mode::kCreate);
  s.record(batch("c3"), {failure("after kill", 1, 1)});
  EXPECT_EQ(s.batch_count(), 4u);
  EXPECT_EQ(integrity(path_), "ok");
}

// A hook that throws (an error mid-batch, not a kill) rolls the batch back.
TEST_F(StoreTest, ErrorMidBatchRollsBack) {
  Store s(path_, Store::Mode::kCreate);
  s.record(batch("c1"), {});
  EXPECT_THROW(s.record(batch("c1"), {failure("x y", 1, 1)}, [] { throw StoreError("injected"); }), StoreError);
  EXPECT_EQ(s.batch_count(), 1u);
  EXPECT_EQ(scalar(path_, "SELECT count(*) FROM failures"), 0);
  s.record(batch("c1"), {});
  EXPECT_EQ(s.batch_count(), 2u);
}

// A must-find entry's failures are what it asked for: kept, counted, not listed as bugs.
TEST_F(StoreTest, ExpectedFailuresAreRecordedButNotListed) {
  Store s(path_, Store::Mode::kCreate);
  Failure wanted = failure("deadlock all-blocked", 1, 5);
  wanted.expected = true;
  s.record(batch("c1", "philosophers"), {wanted, failure("atomic lost-update", 2, 5)});
  const Triage t = s.triage(std::nullopt);
  EXPECT_EQ(t.expected_failures, 1u);
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0].signature_key, "atomic lost-update");
  EXPECT_EQ(t.rows[0].count, 1u);
  EXPECT_EQ(scalar(path_, "SELECT count(*) FROM failures WHERE expected = 1"), 1);
}

TEST(StoreClock, UtcNowIsIso8601WithSeconds) {
  const std::string now = utc_now_iso8601();
  ASSERT_EQ(now.size(), 20u) << now;
  EXPECT_EQ(now[4], '-');
  EXPECT_EQ(now[10], 'T');
  EXPECT_EQ(now.back(), 'Z');
}

TEST(StoreCommit, EnvironmentOverridesTheBuildsCommit) {
  ::setenv("SIMBUS_COMMIT", "0123abcd", 1);
  EXPECT_EQ(current_commit(), "0123abcd");
  ::setenv("SIMBUS_COMMIT", "", 1);
  EXPECT_NE(current_commit(), "");
  ::unsetenv("SIMBUS_COMMIT");
}

}  // namespace
}  // namespace simbus::store
