// `--store` and `simbus triage` as a nightly job uses them: two successive explores into
// one store, the second's failures known and a seeded bug switched on in the second new;
// shards merged into the store; bad stores refused with exit 2 before anything runs.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/cli/shell.h"
#include "tests/temp_dir.h"

namespace {

namespace fs = std::filesystem;

using Result = simbus::test::ShellResult;

Result sh(const std::string& command) { return simbus::test::shell(command, "store"); }

const std::string& simbus() {
  static const std::string path = std::string(SIMBUS_BINARY_DIR) + "/simbus";
  return path;
}

class StoreCli : public ::testing::Test {
 protected:
  // explore with the commit the store records set to `commit`.
  Result explore(const std::string& commit, const std::string& args) const {
    return sh("SIMBUS_COMMIT=" + commit + " " + simbus() + " explore " + args + " --no-progress --store " + store_);
  }
  nlohmann::json triage_json(const std::string& args, Result* r) const {
    *r = sh(simbus() + " triage " + store_ + " --json " + args);
    return r->out.empty() ? nlohmann::json::object() : nlohmann::json::parse(r->out);
  }

  simbus::test::TempDir dir_;
  std::string store_ = dir_.file("results.db");
};

TEST_F(StoreCli, SecondExploreFailuresKnownAndASeededBugNew) {
  Result r = explore("1111aaaa", "racy-counter --runs 40");
  ASSERT_EQ(r.code, 1) << r.out << r.err;  // racy-counter loses updates on some seeds
  // One commit only: every failure is new.
  nlohmann::json first = triage_json("", &r);
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_EQ(first["baseline_commit"], nullptr);
  EXPECT_EQ(first["batches"], 1);
  EXPECT_EQ(first["executions"], 40);
  ASSERT_GE(first["distinct"].get<int>(), 1);
  EXPECT_EQ(first["new"], first["distinct"]);

  // The next commit: other seeds of the same program, then a seeded bug switched on.
  r = explore("2222bbbb", "racy-counter --runs 40 --seed-start 1000");
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  r = explore("2222bbbb", "broker-smoke --bug client_event_echoed --runs 2");
  ASSERT_EQ(r.code, 1) << r.out << r.err;

  const nlohmann::json second = triage_json("", &r);
  EXPECT_EQ(r.code, 1) << "a new failure must fail the triage: " << r.out << r.err;
  EXPECT_EQ(second["baseline_commit"], "1111aaaa");
  EXPECT_EQ(second["batches"], 3);
  int known = 0;
  int fresh = 0;
  for (const nlohmann::json& f : second["failures"]) {
    const std::string scenarios = f["scenarios"];
    if (f["new"].get<bool>()) {
      ++fresh;
      EXPECT_EQ(scenarios, "broker-smoke") << f.dump();
      EXPECT_EQ(f["first_seen"]["commit"], "2222bbbb");
      EXPECT_NE(f["reproduce"].get<std::string>().find("--bug client_event_echoed"), std::string::npos) << f.dump();
    } else {
      ++known;
      EXPECT_EQ(scenarios, "racy-counter") << f.dump();
      EXPECT_EQ(f["first_seen"]["commit"], "1111aaaa");
      // The same signature across seeds: seen in both racy-counter batches.
      EXPECT_EQ(f["batches"], 2) << f.dump();
      EXPECT_EQ(f["last_seen"]["commit"], "2222bbbb");
    }
  }
  EXPECT_EQ(known, first["distinct"].get<int>()) << "racy-counter's signatures must be the same for other seeds";
  EXPECT_GE(fresh, 1);
  EXPECT_EQ(second["new"], fresh);

  // The text report says how many are new, in one line a nightly job can grep.
  r = sh(simbus() + " triage " + store_);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find(std::to_string(fresh) + " new failure"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NEW  "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("known "), std::string::npos) << r.out;

  // Baselined on the newest commit: nothing is new, exit 0.
  const nlohmann::json none = triage_json("--baseline-commit 2222", &r);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(none["new"], 0);

  // JUnit and HTML: new signatures fail, known ones are skipped.
  const std::string junit = dir_.file("triage.xml");
  const std::string html = dir_.file("triage.html");
  r = sh(simbus() + " triage " + store_ + " --junit " + junit + " --html " + html);
  EXPECT_EQ(r.code, 1);
  const std::string xml = simbus::test::read_whole_file(junit);
  EXPECT_NE(xml.find("failures=\"" + std::to_string(fresh) + "\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("skipped=\"" + std::to_string(known) + "\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<skipped message=\"known since 1111aaaa\"/>"), std::string::npos) << xml;
  const std::string page = simbus::test::read_whole_file(html);
  EXPECT_NE(page.find(std::to_string(fresh) + " new failure"), std::string::npos);
  EXPECT_NE(page.find("<tr class=\"new\">"), std::string::npos);
}

TEST_F(StoreCli, ShardsAndTheirMergeAreRecorded) {
  const std::string a = dir_.file("shard0.json");
  const std::string b = dir_.file("shard1.json");
  Result r = explore("3333cccc", "racy-counter --runs 20 --shard 0/2 --json " + a);
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  r = explore("3333cccc", "racy-counter --runs 20 --shard 1/2 --json " + b);
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  r = sh("SIMBUS_COMMIT=3333cccc " + simbus() + " merge " + a + " " + b + " --store " + store_);
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  // Three batches: each shard's ten executions and the merge's twenty.
  const nlohmann::json t = triage_json("", &r);
  EXPECT_EQ(t["batches"], 3) << r.out;
  EXPECT_EQ(t["executions"], 40) << r.out;
  for (const nlohmann::json& f : t["failures"]) {
    // Each signature seen by a shard and again by the merge.
    EXPECT_EQ(f["batches"].get<int>() >= 2, true) << f.dump();
  }
}

// A suite records one batch per entry; its must-find entries' failures (racy-counter's lost
// update, the philosophers' deadlock) are expected, so a passing suite has no new failure.
TEST_F(StoreCli, SuiteRecordsABatchPerEntryAndItsMustFindFailuresAsExpected) {
  Result r = sh("SIMBUS_COMMIT=6666ffff " + simbus() + " suite smoke --store " + store_);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  std::size_t entries = 0;
  for (std::size_t at = 0; (at = r.out.find(" runs ", at)) != std::string::npos; ++at) ++entries;
  ASSERT_GT(entries, 10u) << r.out;
  const nlohmann::json t = triage_json("", &r);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(t["batches"], entries);
  EXPECT_EQ(t["new"], 0) << r.out;
  EXPECT_GT(t["expected_failures"].get<int>(), 0) << r.out;

  // The same suite with a seeded bug on: what it catches is new.
  r = sh("SIMBUS_COMMIT=7777aaaa " + simbus() + " suite smoke --bug client_event_echoed --store " + store_);
  const nlohmann::json bug = triage_json("", &r);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_GE(bug["new"].get<int>(), 1) << r.out;
  for (const nlohmann::json& f : bug["failures"]) EXPECT_EQ(f["check"], "phantom") << f.dump();
}

TEST_F(StoreCli, BadStoresAreRefusedBeforeAnythingRuns) {
  // Missing store for triage.
  Result r = sh(simbus() + " triage " + store_);
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(store_), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(store_));

  // A text file given as the store: exit 2, no execution, the file untouched.
  {
    std::ofstream out(store_);
    out << "notes, not a database\n";
  }
  r = explore("4444dddd", "racy-counter --runs 5");
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--store"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("executions"), std::string::npos) << "ran before refusing the store: " << r.out;
  EXPECT_EQ(simbus::test::read_whole_file(store_), "notes, not a database\n");
  r = sh(simbus() + " triage " + store_);
  EXPECT_EQ(r.code, 2) << r.out << r.err;

  // An unknown baseline commit.
  fs::remove(store_);
  r = explore("5555eeee", "racy-counter --runs 5");
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  r = sh(simbus() + " triage " + store_ + " --baseline-commit 9999");
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("no batch recorded with commit '9999'"), std::string::npos) << r.err;
}

}  // namespace
