#include "store/sql.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include "store/store.h"

namespace simbus::store {

Statement::Statement(sqlite3* db, const char* sql, const std::string& path) : db_(db), path_(path) {
  if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) fail("prepare");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::text(int i, const std::string& v) {
  if (sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) != SQLITE_OK) fail("bind");
  return *this;
}

Statement& Statement::integer(int i, std::int64_t v) {
  if (sqlite3_bind_int64(stmt_, i, v) != SQLITE_OK) fail("bind");
  return *this;
}

Statement& Statement::null(int i) {
  if (sqlite3_bind_null(stmt_, i) != SQLITE_OK) fail("bind");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail("step");
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::column_int(int i) const { return sqlite3_column_int64(stmt_, i); }

std::string Statement::column_text(int i) const {
  const unsigned char* v = sqlite3_column_text(stmt_, i);
  if (v == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(v), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)));
}

void Statement::fail(const char* what) const {
  throw StoreError(fmt::format("{}: {}: {}", path_, what, sqlite3_errmsg(db_)));
}

void exec(sqlite3* db, const char* sql, const std::string& path, const char* what) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) == SQLITE_OK) return;
  const std::string message = error ? error : sqlite3_errmsg(db);
  sqlite3_free(error);
  throw StoreError(what ? fmt::format("{}: {}: {}", path, what, message) : fmt::format("{}: {}", path, message));
}

}  // namespace simbus::store
