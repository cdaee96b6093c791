// The few SQLite calls the store makes, each failure a StoreError naming the file: a
// prepared statement (bind, step, read columns) and a one-shot exec. Internal to store/.
#pragma once

#include <cstdint>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace simbus::store {

class Statement {
 public:
  // `path` names the file in errors; it must outlive the statement.
  Statement(sqlite3* db, const char* sql, const std::string& path);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& text(int i, const std::string& v);
  Statement& integer(int i, std::int64_t v);
  Statement& null(int i);
  // True while there is a row.
  bool step();
  // For the next execution: no row, no bindings.
  void reset();
  std::int64_t column_int(int i) const;
  std::string column_text(int i) const;

 private:
  [[noreturn]] void fail(const char* what) const;
  sqlite3* db_;
  const std::string& path_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Runs `sql` (one or more statements, no rows wanted). The error reads
// "PATH: WHAT: sqlite's message", or "PATH: sqlite's message" without `what`.
void exec(sqlite3* db, const char* sql, const std::string& path, const char* what = nullptr);

}  // namespace simbus::store
