#include "store/schema.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <charconv>
#include <string>

#include "store/sql.h"
#include "store/store.h"

namespace simbus::store {
namespace {

// Version 1. Seeds, counts and hashes that may exceed 2^63 are kept as decimal (seeds) or
// hex (trace hashes) text: SQLite integers are signed 64-bit.
constexpr const char* kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
  id                 INTEGER PRIMARY KEY,
  command            TEXT NOT NULL,
  scenario           TEXT NOT NULL,
  params             TEXT NOT NULL,
  strategy           TEXT NOT NULL,
  bug                TEXT NOT NULL,
  schedule           TEXT NOT NULL,
  seed_start         TEXT NOT NULL,
  runs               TEXT,
  shard_index        INTEGER NOT NULL,
  shard_count        INTEGER NOT NULL,
  executions         INTEGER NOT NULL,
  distinct_schedules INTEGER NOT NULL,
  failures           INTEGER NOT NULL,
  complete           INTEGER NOT NULL,
  stopped_by         TEXT NOT NULL,
  commit_id          TEXT NOT NULL,
  version            TEXT NOT NULL,
  started_at         TEXT NOT NULL,
  recorded_at        TEXT NOT NULL,
  host               TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS batches_commit ON batches(commit_id);
CREATE TABLE IF NOT EXISTS failures (
  id            INTEGER PRIMARY KEY,
  batch_id      INTEGER NOT NULL REFERENCES batches(id),
  signature_id  TEXT NOT NULL,
  signature_key TEXT NOT NULL,
  check_name    TEXT NOT NULL,
  status        TEXT NOT NULL,
  message       TEXT NOT NULL,
  reproduce     TEXT NOT NULL,
  seed          TEXT NOT NULL,
  execution     INTEGER NOT NULL,
  choices       INTEGER NOT NULL,
  trace_hash    TEXT NOT NULL,
  expected      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS failures_signature ON failures(signature_key);
CREATE INDEX IF NOT EXISTS failures_batch ON failures(batch_id);
)sql";

}  // namespace

void create_schema(sqlite3* db, const std::string& path) {
  exec(db, kSchemaSql, path, "cannot create the store's tables");
  // OR IGNORE: a second writer creating the same new store at once keeps the first's row.
  const std::string insert = fmt::format(
      "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '{}'), ('created_by', 'simbus')",
      kSchemaVersion);
  exec(db, insert.c_str(), path, "cannot write the schema version");
}

void check_schema(sqlite3* db, const std::string& path) {
  std::string text;
  bool found = false;
  try {
    Statement s(db, "SELECT value FROM meta WHERE key = 'schema_version'", path);
    found = s.step();
    if (found) text = s.column_text(0);
  } catch (const StoreError&) {
    // Not ours: no meta table, or not SQLite at all.
    throw StoreError(fmt::format("{}: not a simbus store ({})", path, sqlite3_errmsg(db)));
  }
  if (!found) throw StoreError(fmt::format("{}: not a simbus store (no schema_version in meta)", path));
  int version = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), version);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || version < 1) {
    throw StoreError(fmt::format("{}: not a simbus store (schema_version '{}')", path, text));
  }
  if (version > kSchemaVersion) {
    throw StoreError(fmt::format("{}: store schema version {} is newer than this simbus reads ({}); use a newer simbus",
                                 path, version, kSchemaVersion));
  }
  if (version < kSchemaVersion) {
    throw StoreError(fmt::format("{}: store schema version {} is older than {} and has no migration", path, version,
                                 kSchemaVersion));
  }
}

}  // namespace simbus::store
