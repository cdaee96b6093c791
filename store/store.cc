#include "store/store.h"

#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>

#include "store/build_info.h"
#include "store/schema.h"
#include "store/sql.h"

namespace simbus::store {
namespace {

// Writers wait this long for another writer's transaction before giving up. A batch's
// transaction is a few milliseconds; shards of one host finish at about the same time.
constexpr int kBusyTimeoutMs = 60'000;
// Switching to WAL takes a lock the busy handler does not always wait for: retry.
constexpr int kJournalModeAttemptsMax = 200;
constexpr int kJournalModeRetrySleepMs = 50;

// Rolls back unless committed: an exception (or a store error) mid-batch writes nothing.
class Transaction {
 public:
  Transaction(sqlite3* db, const std::string& path) : db_(db), path_(path) {
    // IMMEDIATE: take the write lock now (waiting up to the busy timeout) rather than
    // upgrade a read lock later, which fails at once with SQLITE_BUSY under contention.
    exec(db_, "BEGIN IMMEDIATE", path_);
  }
  ~Transaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    exec(db_, "COMMIT", path_);
    done_ = true;
  }

 private:
  sqlite3* db_;
  const std::string& path_;
  bool done_ = false;
};

std::int64_t count_tables(sqlite3* db, const std::string& path) {
  Statement s(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", path);
  s.step();
  return s.column_int(0);
}

void set_wal(sqlite3* db, const std::string& path) {
  for (int attempt = 0;; ++attempt) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, &error);
    const std::string message = error ? error : sqlite3_errmsg(db);
    sqlite3_free(error);
    if (rc == SQLITE_OK) return;
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || attempt + 1 >= kJournalModeAttemptsMax) {
      throw StoreError(fmt::format("{}: not a usable SQLite store: {}", path, message));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kJournalModeRetrySleepMs));
  }
}

std::string decimal(std::uint64_t v) { return std::to_string(v); }

std::int64_t clamp_int64(std::uint64_t v) {
  return v > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(v);
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

}  // namespace

std::uint64_t Triage::new_count() const {
  return static_cast<std::uint64_t>(std::count_if(rows.begin(), rows.end(), [](const TriageRow& r) { return r.is_new; }));
}

Store::Store(const std::string& path, Mode mode) : path_(path) {
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (mode == Mode::kReadOnly && !exists) {
    throw StoreError(fmt::format("{}: no such store ({})", path, std::strerror(errno)));
  }
  if (exists && !S_ISREG(st.st_mode)) throw StoreError(fmt::format("{}: not a regular file", path));
  // Read-only use still opens read-write: a WAL store's reader maps the -shm index, which
  // it may have to create. It writes nothing.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (mode == Mode::kCreate) flags |= SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError(fmt::format("{}: cannot open the store: {}", path, message));
  }
  try {
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    if (mode == Mode::kReadOnly) {
      check_schema(db_, path_);
      return;
    }
    set_wal(db_, path_);
    Transaction t(db_, path_);
    if (count_tables(db_, path_) == 0) {
      create_schema(db_, path_);
    } else {
      check_schema(db_, path_);
    }
    t.commit();
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

Store::~Store() { sqlite3_close(db_); }

std::int64_t Store::record(const Batch& b, const std::vector<Failure>& failures,
                           const std::function<void()>& before_commit) {
  Transaction t(db_, path_);
  Statement insert_batch(db_,
                         "INSERT INTO batches(command, scenario, params, strategy, bug, schedule, seed_start, runs, "
                         "shard_index, shard_count, executions, distinct_schedules, failures, complete, stopped_by, "
                         "commit_id, version, started_at, recorded_at, host) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
                         "?19, ?20)",
                         path_);
  insert_batch.text(1, b.command).text(2, b.scenario).text(3, b.params).text(4, b.strategy).text(5, b.bug);
  insert_batch.text(6, b.schedule).text(7, decimal(b.seed_start));
  if (b.runs) {
    insert_batch.text(8, decimal(*b.runs));
  } else {
    insert_batch.null(8);
  }
  insert_batch.integer(9, b.shard_index).integer(10, b.shard_count);
  insert_batch.integer(11, clamp_int64(b.executions)).integer(12, clamp_int64(b.distinct_schedules));
  insert_batch.integer(13, static_cast<std::int64_t>(failures.size())).integer(14, b.complete ? 1 : 0);
  insert_batch.text(15, b.stopped_by).text(16, b.commit).text(17, b.version).text(18, b.started_at);
  insert_batch.text(19, utc_now_iso8601()).text(20, b.host.empty() ? host_name() : b.host);
  insert_batch.step();
  const std::int64_t batch_id = sqlite3_last_insert_rowid(db_);
  Statement insert_failure(db_,
                           "INSERT INTO failures(batch_id, signature_id, signature_key, check_name, status, message, "
                           "reproduce, seed, execution, choices, trace_hash, expected) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                           path_);
  for (const Failure& f : failures) {
    insert_failure.reset();
    insert_failure.integer(1, batch_id).text(2, f.signature_id).text(3, f.signature_key).text(4, f.check);
    insert_failure.text(5, f.status).text(6, f.message).text(7, f.reproduce).text(8, decimal(f.seed));
    insert_failure.integer(9, clamp_int64(f.execution)).integer(10, clamp_int64(f.choices));
    insert_failure.text(11, fmt::format("{:016x}", f.trace_hash)).integer(12, f.expected ? 1 : 0);
    insert_failure.step();
  }
  if (before_commit) before_commit();
  t.commit();
  return batch_id;
}

std::uint64_t Store::batch_count() const {
  Statement s(db_, "SELECT count(*) FROM batches", path_);
  s.step();
  return static_cast<std::uint64_t>(s.column_int(0));
}

Triage Store::triage(const std::optional<std::string>& baseline_commit) const {
  Triage out;
  // A read transaction: one snapshot of the store while writers go on.
  exec(db_, "BEGIN", path_);
  struct EndRead {
    sqlite3* db;
    ~EndRead() { sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr); }
  } end_read{db_};
  {
    Statement s(db_, "SELECT count(*), coalesce(sum(executions), 0) FROM batches", path_);
    s.step();
    out.batches = static_cast<std::uint64_t>(s.column_int(0));
    out.executions = static_cast<std::uint64_t>(s.column_int(1));
  }
  {
    Statement s(db_, "SELECT count(*) FROM failures WHERE expected != 0", path_);
    s.step();
    out.expected_failures = static_cast<std::uint64_t>(s.column_int(0));
  }
  // Batches with id <= baseline_id are the baseline.
  std::int64_t baseline_id = 0;
  if (baseline_commit) {
    Statement s(db_,
                "SELECT commit_id, max(id) FROM batches WHERE commit_id = ?1 OR substr(commit_id, 1, length(?1)) = ?1 "
                "GROUP BY commit_id ORDER BY commit_id = ?1 DESC LIMIT 3",
                path_);
    s.text(1, *baseline_commit);
    std::vector<std::pair<std::string, std::int64_t>> matches;
    while (s.step()) matches.emplace_back(s.column_text(0), s.column_int(1));
    if (matches.empty()) {
      throw StoreError(fmt::format("{}: no batch recorded with commit '{}' (--baseline-commit)", path_,
                                   *baseline_commit));
    }
    // An exact match wins over prefixes; a prefix must name one commit.
    if (matches.front().first != *baseline_commit && matches.size() > 1) {
      throw StoreError(fmt::format("{}: --baseline-commit '{}' is a prefix of more than one commit ({}, {}, ...)",
                                   path_, *baseline_commit, matches[0].first, matches[1].first));
    }
    out.baseline_commit = matches.front().first;
    baseline_id = matches.front().second;
  } else {
    // The newest batch's commit; the baseline ends just before that commit's first batch.
    Statement newest(db_,
                     "SELECT min(id) FROM batches WHERE commit_id = (SELECT commit_id FROM batches ORDER BY id DESC "
                     "LIMIT 1)",
                     path_);
    if (newest.step()) {
      Statement before(db_, "SELECT id, commit_id FROM batches WHERE id < ?1 ORDER BY id DESC LIMIT 1", path_);
      before.integer(1, newest.column_int(0));
      if (before.step()) {
        baseline_id = before.column_int(0);
        out.baseline_commit = before.column_text(1);
      }
    }
  }
  Statement groups(db_,
                   "SELECT f.signature_key, min(f.signature_id), min(f.check_name), count(*), count(DISTINCT "
                   "f.batch_id), min(f.batch_id), max(f.batch_id), group_concat(DISTINCT b.scenario), min(f.id) "
                   "FROM failures f JOIN batches b ON b.id = f.batch_id WHERE f.expected = 0 "
                   "GROUP BY f.signature_key",
                   path_);
  Statement batch_of(db_, "SELECT commit_id, started_at FROM batches WHERE id = ?1", path_);
  Statement message_of(db_, "SELECT message FROM failures WHERE id = ?1", path_);
  // Shortest known reproduce line: the fewest choices (the most shrinkable; 0 is unknown,
  // so last), then the shortest line, then the oldest.
  Statement shortest(db_,
                     "SELECT reproduce, choices FROM failures WHERE signature_key = ?1 AND expected = 0 "
                     "ORDER BY choices = 0, choices, length(reproduce), id LIMIT 1",
                     path_);
  auto sighting = [&](std::int64_t id) {
    batch_of.reset();
    batch_of.integer(1, id);
    Sighting s;
    if (batch_of.step()) s = {batch_of.column_text(0), batch_of.column_text(1)};
    return s;
  };
  while (groups.step()) {
    TriageRow r;
    r.signature_key = groups.column_text(0);
    r.signature_id = groups.column_text(1);
    r.check = groups.column_text(2);
    r.count = static_cast<std::uint64_t>(groups.column_int(3));
    r.batches = static_cast<std::uint64_t>(groups.column_int(4));
    const std::int64_t first_batch = groups.column_int(5);
    r.first_seen = sighting(first_batch);
    r.last_seen = sighting(groups.column_int(6));
    r.scenarios = groups.column_text(7);
    message_of.reset();
    message_of.integer(1, groups.column_int(8));
    if (message_of.step()) r.message = message_of.column_text(0);
    shortest.reset();
    shortest.text(1, r.signature_key);
    if (shortest.step()) {
      r.reproduce = shortest.column_text(0);
      r.reproduce_choices = static_cast<std::uint64_t>(shortest.column_int(1));
    }
    r.is_new = first_batch > baseline_id;
    out.rows.push_back(std::move(r));
  }
  std::sort(out.rows.begin(), out.rows.end(), [](const TriageRow& a, const TriageRow& b) {
    if (a.is_new != b.is_new) return a.is_new;
    if (a.count != b.count) return a.count > b.count;
    return a.signature_key < b.signature_key;
  });
  return out;
}

std::string current_commit() {
  const char* env = std::getenv("SIMBUS_COMMIT");
  if (env != nullptr && *env != '\0') return env;
  return kBuildCommit;
}

std::string binary_version() { return kBuildVersion; }

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace simbus::store
