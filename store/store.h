// The results store: one SQLite file that remembers every batch of executions
// (explore, a suite entry, a merge) and every failure it found, across runs and commits,
// so `simbus triage` can say which failures are new. Many processes on one host may
// write one store at once (WAL journal, a busy timeout, one transaction per batch); a
// writer killed mid-batch leaves every committed batch and none of its own.
// The schema (store/schema.cc) is versioned and documented in docs/store.md.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

struct sqlite3;

namespace simbus::store {

// The schema this build writes and reads. A store of a newer version is refused (its
// meaning is unknown to this binary); an older one would be migrated (none exists yet).
inline constexpr int kSchemaVersion = 1;

// Any store error: not SQLite, wrong or newer schema, missing, locked past the busy
// timeout. The message names the file. The command line turns it into exit 2.
struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One batch of executions: what was asked and what ran.
struct Batch {
  std::string command;   // explore, suite, merge
  std::string scenario;
  std::string params;    // "k=v k=v" in the request's order, "" if none
  std::string strategy;
  std::string bug;       // the seeded bug switched on, "" if none
  std::string schedule;  // which executions: "seeds 1..100 shard 0/1", "enumeration from seed 1"
  std::uint64_t seed_start = 0;
  std::optional<std::uint64_t> runs;  // requested (all shards together); nullopt: unbounded
  std::uint32_t shard_index = 0;
  std::uint32_t shard_count = 1;
  std::uint64_t executions = 0;
  std::uint64_t distinct_schedules = 0;
  bool complete = true;
  std::string stopped_by;
  std::string commit;    // the source commit of the binary (or SIMBUS_COMMIT)
  std::string version;   // the binary's version
  std::string started_at;  // UTC, ISO 8601 with seconds ("2026-12-04T06:11:01Z")
  std::string host;
};

struct Failure {
  std::string check;
  std::string signature_id;   // cli/signature.h Signature::id()
  std::string signature_key;  // Signature::key(): the identity
  std::string status;         // failed, deadlock, ...
  std::string message;
  std::string reproduce;
  std::uint64_t seed = 0;
  std::uint64_t execution = 0;
  std::uint64_t choices = 0;  // 0: unknown
  std::uint64_t trace_hash = 0;
  // A failure the run asked for: a must-find suite entry's check, explore --expect. It is
  // recorded, but triage does not list it as a bug.
  bool expected = false;
};

// A sighting of a signature: the commit and start time of a batch that found it.
struct Sighting {
  std::string commit;
  std::string started_at;
};

// One distinct failure (signature) over the whole store.
struct TriageRow {
  std::string signature_id;
  std::string signature_key;
  std::string check;
  std::string message;      // the first failure's message
  std::uint64_t count = 0;  // failures with this signature
  std::uint64_t batches = 0;
  std::string scenarios;    // distinct scenarios that found it, comma-separated
  Sighting first_seen;
  Sighting last_seen;
  std::string reproduce;    // the shortest known: fewest choices (known first), then shortest line
  std::uint64_t reproduce_choices = 0;
  bool is_new = false;      // not seen in a batch at or before the baseline
};

struct Triage {
  std::string baseline_commit;  // "" when the store holds one commit only: every failure is new
  std::uint64_t batches = 0;
  std::uint64_t executions = 0;
  std::uint64_t expected_failures = 0;  // failures recorded as expected (not in rows)
  std::vector<TriageRow> rows;  // new first, then by count (descending), then signature id
  std::uint64_t new_count() const;
};

class Store {
 public:
  enum class Mode { kCreate, kReadOnly };
  // kCreate makes the file and schema if missing; kReadOnly refuses a missing file.
  // Throws StoreError naming `path`.
  Store(const std::string& path, Mode mode);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Writes the batch and its failures in one transaction; returns the batch id.
  // `before_commit`, if given, runs inside the transaction after every row is written:
  // a test's hook to kill the writer there.
  std::int64_t record(const Batch& batch, const std::vector<Failure>& failures,
                      const std::function<void()>& before_commit = {});

  // Distinct failures by signature. The baseline: every batch up to and including the
  // last one recorded with commit `baseline_commit` (a unique prefix is accepted); without
  // it, every batch recorded before the first batch of the newest batch's commit.
  // Throws StoreError if the baseline commit has no batch (or the prefix is ambiguous).
  Triage triage(const std::optional<std::string>& baseline_commit) const;

  std::uint64_t batch_count() const;

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

// The commit of this build: SIMBUS_COMMIT from the environment if set and not empty,
// else the one configured into the build (git rev-parse HEAD at configure time), else
// "unknown".
std::string current_commit();
// The binary's version: CMake's project() version ("0.1.0"), the one --version and trace
// headers show.
std::string binary_version();
// Now, UTC, ISO 8601 with seconds.
std::string utc_now_iso8601();

}  // namespace simbus::store
