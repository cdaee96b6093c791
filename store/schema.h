// The store's schema (docs/store.md): creating it in a new file, checking the version of
// an existing one. Internal to store.cc; kept apart so the schema reads in one place.
#pragma once

#include <string>

struct sqlite3;

namespace simbus::store {

// Creates the tables if missing and records kSchemaVersion; inside the caller's
// transaction. Throws StoreError naming `path`.
void create_schema(sqlite3* db, const std::string& path);
// Throws StoreError naming `path` unless the file holds the schema at kSchemaVersion:
// not a store (no meta table, no schema_version), or a newer version.
void check_schema(sqlite3* db, const std::string& path);

}  // namespace simbus::store
