// Crash isolation: the code under test crashing or hanging the process under some
// interleavings (tests/crash_demo) must not end the exploration. Each such execution is a
// failure with a schedule that brings the crash back, and the enumeration goes on to
// exhaust its space, with the same counts as an exploration in one process.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/cli/shell.h"

namespace {

namespace fs = std::filesystem;

using Result = simbus::test::ShellResult;

std::string read_file(const std::string& path) { return simbus::test::read_whole_file(path); }

Result sh(const std::string& command) { return simbus::test::shell(command, "crash"); }

const std::string& demo() {
  static const std::string path = std::string(SIMBUS_BINARY_DIR) + "/simbus-crash-demo";
  return path;
}

const std::string& simbus() {
  static const std::string path = std::string(SIMBUS_BINARY_DIR) + "/simbus";
  return path;
}

using simbus::test::line_value;

// The exploration's JSON report (explore --json -).
nlohmann::json explore_json(const std::string& args, Result* result) {
  const std::string path =
      (fs::temp_directory_path() / ("simbus-crash-" + std::to_string(::getpid()) + ".json")).string();
  *result = sh(demo() + " explore crash-demo " + args + " --no-progress --json " + path);
  const std::string text = read_file(path);
  std::remove(path.c_str());
  if (text.empty()) return nlohmann::json::object();
  return nlohmann::json::parse(text);
}

const char kMarker[] = "crash-demo: the reader saw the half-written state";

TEST(CrashIsolation, DporReportsASegfaultWithAScheduleThatReproducesItAndExhaustsTheSpace) {
  Result r;
  const nlohmann::json j = explore_json("--strategy dpor", &r);
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  // writer: store 1, store 2; reader: load. Three Mazurkiewicz traces, one crashes.
  EXPECT_EQ(j["executions"], 3) << r.out;
  EXPECT_EQ(j["exhausted"], true);
  EXPECT_EQ(j["complete"], true);
  ASSERT_EQ(j["failures"].size(), 1u) << r.out;
  const nlohmann::json& f = j["failures"][0];
  EXPECT_EQ(f["status"], "crashed");
  EXPECT_EQ(f["check"], "worker");
  const std::string message = f["message"];
  EXPECT_TRUE(message.find("died of signal 11") != std::string::npos ||
              message.find("exited with status") != std::string::npos)  // a sanitizer's own exit
      << message;
  const std::string reproduce = f["reproduce"];
  ASSERT_NE(reproduce.find("--strategy dpor"), std::string::npos) << reproduce;
  ASSERT_NE(reproduce.find("--schedule "), std::string::npos) << reproduce;
  // The schedule brings the crash back: `run` dies in the code under test, having printed
  // its header first.
  const Result again = sh(reproduce);
  EXPECT_NE(again.code, 0);
  EXPECT_NE(again.err.find(kMarker), std::string::npos) << again.err;
  EXPECT_EQ(line_value(again.out, "scenario"), "crash-demo") << again.out;
  EXPECT_EQ(line_value(again.out, "result"), "") << again.out;
}

TEST(CrashIsolation, NonCrashingSchedulesOfTheSameExplorationDoNotCrash) {
  // dfs visits every interleaving; the crash's schedule is the only one that reaches it.
  Result r;
  const nlohmann::json j = explore_json("--strategy dfs --param mode=1", &r);
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_EQ(j["exhausted"], true);
  const std::uint64_t executions = j["executions"];
  const std::size_t crashed = j["failures"].size();
  EXPECT_GT(crashed, 0u);
  EXPECT_LT(crashed, executions);
  for (const auto& f : j["failures"]) {
    EXPECT_EQ(f["status"], "crashed");
    const std::string message = f["message"];
    EXPECT_NE(message.find("signal 6"), std::string::npos) << message;
  }
  // Without isolation the first crash ends everything: no summary, no report.
  const Result in_process = sh(demo() + " explore crash-demo --strategy dfs --param mode=1 --no-isolate --no-progress");
  EXPECT_NE(in_process.code, 0);
  EXPECT_NE(in_process.code, 1);
  EXPECT_EQ(line_value(in_process.out, "executions"), "") << in_process.out;
}

TEST(CrashIsolation, AHangIsKilledAfterTheExecutionTimeoutAndReportedHung) {
  Result r;
  const nlohmann::json j = explore_json("--strategy dpor --param mode=2 --execution-timeout 1", &r);
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_EQ(j["executions"], 3);
  EXPECT_EQ(j["exhausted"], true);
  ASSERT_EQ(j["failures"].size(), 1u);
  EXPECT_EQ(j["failures"][0]["status"], "hung");
  const std::string message = j["failures"][0]["message"];
  EXPECT_NE(message.find("recorded nothing for 1000 ms"), std::string::npos) << message;
}

TEST(CrashIsolation, SeededStrategiesOnOneJobRunInAWorkerAndReportTheCrashedSeeds) {
  Result r;
  const nlohmann::json j = explore_json("--runs 40", &r);
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_EQ(j["executions"], 40);
  EXPECT_GT(j["failures"].size(), 0u);
  EXPECT_LT(j["failures"].size(), 40u);
  for (const auto& f : j["failures"]) EXPECT_EQ(f["status"], "crashed");
}

// Isolation changes where executions run, never what they find.
TEST(CrashIsolation, IsolatedAndInProcessEnumerationsReportTheSameSummary) {
  for (const std::string args : {"racy-counter --param fibers=3 --strategy dpor", "racy-counter --strategy dfs",
                                 "mutex-counter --param fibers=2 --param increments=2 --strategy dpor", "dpor-lastzero --param n=4 --strategy dpor"}) {
    const Result isolated = sh(simbus() + " explore " + args + " --no-progress");
    const Result in_process = sh(simbus() + " explore " + args + " --no-progress --no-isolate");
    EXPECT_EQ(isolated.code, in_process.code) << args;
    EXPECT_EQ(isolated.out, in_process.out) << args;
    EXPECT_NE(line_value(isolated.out, "executions"), "") << args << isolated.out << isolated.err;
  }
}

TEST(CrashIsolation, ProgressGoesToStderrNeverStdout) {
  const Result forced = sh(simbus() + " explore racy-counter --strategy dfs --progress");
  const Result silent = sh(simbus() + " explore racy-counter --strategy dfs --no-progress");
  EXPECT_EQ(forced.out, silent.out);
  EXPECT_NE(forced.err.find("progress"), std::string::npos) << forced.err;
  EXPECT_EQ(silent.err, "");
  const Result both = sh(simbus() + " explore racy-counter --strategy dfs --progress --no-progress");
  EXPECT_EQ(both.code, 2) << both.err;
}

TEST(CrashIsolation, AnAstronomicalSpaceIsNamedWithAnEstimate) {
  // 8 fibers x 8 increments under dfs: far beyond any exhaustive search.
  const Result r = sh(simbus() + " explore racy-counter --param fibers=8 --param increments=8 --strategy dfs "
                                 "--runs 5 --no-progress");
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << "bounded by --runs: no warning\n" << r.err;
  const Result unbounded = sh(simbus() +
                              " explore racy-counter --param fibers=8 --param increments=8 --strategy dfs "
                              "--time-limit 1 --no-progress");
  EXPECT_NE(unbounded.err.find("warning: this space holds ~"), std::string::npos) << unbounded.err;
  EXPECT_NE(unbounded.err.find("interleavings"), std::string::npos) << unbounded.err;
}

}  // namespace
