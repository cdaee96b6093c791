// `--store FILE` of explore, suite and merge: each report recorded as one batch of the
// results store (store/store.h), its failures with their signatures (cli/signature.h).
#pragma once

#include <memory>
#include <string>

#include "cli/explore_report.h"
#include "store/store.h"

namespace CLI {
class App;
}

namespace simbus::cli {

class StoreRecorder {
 public:
  // Opens (creating if missing) the store at `path` now, so a bad store is exit 2 before
  // any execution runs; "" records nothing. `command` is explore, suite or merge. The
  // start time is taken now.
  StoreRecorder(const std::string& path, std::string command);
  // Records one report as a batch in its own transaction; its failures of check
  // `expected_check` (a must-find entry's, explore --expect's) are recorded as expected. A
  // store error is a UsageError naming the file.
  void record(const ExploreSummary& summary, const std::string& expected_check = "");

 private:
  std::unique_ptr<store::Store> store_;
  std::string command_;
  std::string started_at_;
};

// The --store option, one wording for every command.
void add_store_option(CLI::App& cmd, std::string& path);

}  // namespace simbus::cli
