// End-to-end tests of the `simbus` program: explore, merge, shrink, viz, reports and bad
// input. Each runs the built binary and reads its output and files.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/shell.h"
#include "tests/temp_dir.h"

namespace {

namespace fs = std::filesystem;

using Result = simbus::test::ShellResult;

using simbus::test::TempDir;

std::string read_file(const std::string& path) { return simbus::test::read_whole_file(path); }

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

const std::string& simbus() {
  static const std::string path = std::string(SIMBUS_BINARY_DIR) + "/simbus";
  return path;
}

// Runs a shell command line; stdout captured, stderr into a temporary file.
Result sh(const std::string& command) { return simbus::test::shell(command, "cli"); }

Result run(const std::string& args) { return sh(simbus() + " " + args); }

using simbus::test::line_value;

std::vector<std::string> lines_starting(const std::string& out, const std::string& prefix) {
  std::vector<std::string> found;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) found.push_back(line);
  }
  return found;
}

// The summary block: from `executions:` to the end.
std::string summary_block(const std::string& out) {
  const auto at = out.find("executions: ");
  return at == std::string::npos ? "" : out.substr(at);
}

TEST(CliExplore, RacyCounterFindsFailuresAndItsReproduceLineReproducesTheTraceHash) {
  TempDir dir;
  const Result r = run("explore racy-counter --runs 40 --json " + dir.file("r.json"));
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_EQ(line_value(r.out, "executions"), "40");
  const int failures = std::stoi(line_value(r.out, "failures"));
  EXPECT_GT(failures, 0);
  // Schedules, not seeds: racy-counter has 35 interleavings (dfs), so 40 seeds repeat some.
  const int schedules = std::stoi(line_value(r.out, "distinct-schedules"));
  EXPECT_GT(schedules, 0);
  EXPECT_LE(schedules, 35);
  EXPECT_EQ(line_value(r.out, "signatures"), "1") << "one bug, one signature";
  EXPECT_TRUE(line_value(r.out, "exhausted").empty()) << "random does not enumerate";
  EXPECT_EQ(r.out.find('\r'), std::string::npos) << "no progress line when stdout is not a terminal";
  const auto fails = lines_starting(r.out, "FAIL lost-update: ");
  const auto repro = lines_starting(r.out, "reproduce: ");
  ASSERT_FALSE(fails.empty());
  ASSERT_EQ(repro.size(), fails.size()) << "one reproduce: line per failure group";

  const auto report = nlohmann::json::parse(read_file(dir.file("r.json")));
  EXPECT_EQ(report["scenario"], "racy-counter");
  EXPECT_EQ(report["strategy"], "random");
  EXPECT_EQ(report["seed_start"], 1);
  EXPECT_EQ(report["executions"], 40);
  ASSERT_EQ(report["failures"].size(), static_cast<std::size_t>(failures));
  EXPECT_EQ(report["distinct_schedules"], report["schedule_hashes"].size());
  EXPECT_EQ(report["groups"].size(), 1u);
  EXPECT_EQ(report["groups"][0]["count"], failures);
  EXPECT_EQ(report["groups"][0]["signature"].get<std::string>().size(), 8u);
  EXPECT_EQ(report["groups"][0]["site"].get<std::string>().rfind("racy_counter.cc:", 0), 0u);
  EXPECT_FALSE(report["groups"].empty());
  const auto& first = report["failures"][0];
  EXPECT_EQ(first["check"], "lost-update");
  EXPECT_EQ(report["groups"][0]["reproduce"], first["reproduce"]);
  EXPECT_EQ("reproduce: " + first["reproduce"].get<std::string>(), repro.front());

  // Pasted into a shell, the first group's line fails again with the same trace-hash.
  const Result again = sh(repro.front().substr(std::string("reproduce: ").size()));
  EXPECT_EQ(again.code, 1) << again.out << again.err;
  EXPECT_EQ(line_value(again.out, "trace-hash"), first["trace_hash"].get<std::string>());
  EXPECT_EQ(lines_starting(again.out, "FAIL lost-update: ").size(), 1u);
}

TEST(CliExplore, ThreeShardsMergedEqualOneUnshardedRun) {
  TempDir dir;
  const std::string common = "explore racy-counter --param fibers=3 --runs 61 --seed-start 5";
  const Result whole = run(common + " --json " + dir.file("all.json"));
  ASSERT_EQ(whole.code, 1) << whole.err;
  for (int k = 0; k < 3; ++k) {
    const std::string jobs = k == 1 ? " --jobs 2" : "";
    const Result part =
        run(common + " --shard " + std::to_string(k) + "/3" + jobs + " --json " + dir.file("s" + std::to_string(k)));
    ASSERT_TRUE(part.code == 0 || part.code == 1) << part.err;
    EXPECT_EQ(line_value(part.out, "shard"), std::to_string(k) + "/3");
  }
  const Result merged = run("merge " + dir.file("s2") + " " + dir.file("s0") + " " + dir.file("s1") + " --json " +
                            dir.file("merged.json"));
  ASSERT_EQ(merged.code, whole.code) << merged.err;
  EXPECT_EQ(summary_block(merged.out), summary_block(whole.out));
  auto a = nlohmann::json::parse(read_file(dir.file("all.json")));
  auto b = nlohmann::json::parse(read_file(dir.file("merged.json")));
  for (const char* key : {"executions", "groups", "distinct_schedules", "schedule_hashes", "complete"}) {
    EXPECT_EQ(a[key], b[key]) << key;
  }
  // Failures equal but for their wall time (measured, so never the same twice).
  for (auto* report : {&a, &b}) {
    for (auto& f : (*report)["failures"]) f.erase("wall_us");
  }
  EXPECT_EQ(a["failures"], b["failures"]);
  EXPECT_EQ(a["executions"], 61);
}

TEST(CliExplore, JunitReportAndExpect) {
  TempDir dir;
  const Result r = run("explore racy-counter --runs 20 --expect lost-update --junit " + dir.file("j.xml"));
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("expect: ok"), std::string::npos);
  const std::string xml = read_file(dir.file("j.xml"));
  EXPECT_NE(xml.find("<testsuites"), std::string::npos);
  // One testcase per signature, its name free of seed-specific numbers; counts and times.
  EXPECT_NE(xml.find("<testsuites tests=\"1\" failures=\"1\" time=\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<testcase classname=\"simbus.explore.racy-counter\" name=\"racy-counter: lost-update at "
                     "racy_counter.cc:"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("counter is N, expected N (N fibers x N increments)\" time=\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<failure message=\"FAIL lost-update: counter is "), std::string::npos);
  EXPECT_NE(xml.find("reproduce: "), std::string::npos) << "the reproduce line is in the failure body";
  // The same testcase name from other seeds: CI history follows it.
  const Result other = run("explore racy-counter --runs 20 --seed-start 500 --junit " + dir.file("j2.xml"));
  EXPECT_EQ(other.code, 1);
  auto testcase_names = [](const std::string& text) {
    std::vector<std::string> names;
    for (std::size_t at = text.find("<testcase "); at != std::string::npos; at = text.find("<testcase ", at + 1)) {
      const auto b = text.find("name=\"", at) + 6;
      names.push_back(text.substr(b, text.find('"', b) - b));
    }
    return names;
  };
  EXPECT_EQ(testcase_names(xml), testcase_names(read_file(dir.file("j2.xml"))));

  const Result clean = run("explore mutex-counter --runs 10 --expect lost-update");
  EXPECT_EQ(clean.code, 1) << "must-find entries fail when nothing is found";
  const Result ok = run("explore mutex-counter --runs 10 --junit " + dir.file("ok.xml"));
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(line_value(ok.out, "failures"), "0");
  const std::string ok_xml = read_file(dir.file("ok.xml"));
  EXPECT_EQ(ok_xml.find("<failure"), std::string::npos);
  EXPECT_NE(ok_xml.find("tests=\"1\" failures=\"0\""), std::string::npos) << ok_xml;
}

TEST(CliExplore, StopOnFailAndTimeLimit) {
  const Result r = run("explore racy-counter --runs 1000 --stop-on-fail");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(line_value(r.out, "failures"), "1");
  EXPECT_EQ(line_value(r.out, "stopped"), "stop-on-fail");
  const Result t = run("explore mutex-counter --time-limit 0.3");
  EXPECT_EQ(t.code, 0) << t.err;
  EXPECT_GT(std::stoll(line_value(t.out, "executions")), 0);
}

TEST(CliExplore, EnumeratingStrategyReportsExhausted) {
  const Result probe = run("explore racy-counter --strategy dfs --runs 1");
  if (probe.code == 2 && probe.err.find("unknown strategy") != std::string::npos) {
    GTEST_SKIP() << "no dfs strategy in this build";
  }
  TempDir dir;
  const Result r = run("explore racy-counter --strategy dfs --json " + dir.file("d.json"));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(line_value(r.out, "exhausted"), "yes");
  EXPECT_FALSE(line_value(r.out, "blocked").empty());
  const auto repro = lines_starting(r.out, "reproduce: ");
  ASSERT_FALSE(repro.empty());
  EXPECT_NE(repro.front().find("--schedule"), std::string::npos);
  const auto report = nlohmann::json::parse(read_file(dir.file("d.json")));
  EXPECT_TRUE(report["enumerating"].get<bool>());
  const Result again = sh(repro.front().substr(std::string("reproduce: ").size()));
  EXPECT_EQ(again.code, 1) << again.err;
  EXPECT_EQ(line_value(again.out, "trace-hash"), report["failures"][0]["trace_hash"].get<std::string>());
  EXPECT_EQ(run("explore racy-counter --strategy dfs --shard 1/2").code, 2) << "an enumeration is not sharded";
}

TEST(CliExplore, BadArgumentsExitTwoNamingTheArgument) {
  for (const char* shard : {"3/3", "1", "a/b", "1/0", "-1/2"}) {
    const Result r = run(std::string("explore racy-counter --runs 3 --shard ") + shard);
    EXPECT_EQ(r.code, 2) << shard;
    EXPECT_NE(r.err.find("--shard"), std::string::npos) << r.err;
  }
  EXPECT_EQ(run("explore no-such-scenario --runs 1").code, 2);
  const Result param = run("explore racy-counter --runs 2 --param fibers=zero");
  EXPECT_EQ(param.code, 2);
  EXPECT_NE(param.err.find("fibers"), std::string::npos);
  EXPECT_EQ(run("explore racy-counter --strategy nope").code, 2);
}

TEST(CliMerge, BadInputExitsTwoNamingTheFile) {
  TempDir dir;
  write_file(dir.file("garbage.json"), "{ not json");
  Result r = run("merge " + dir.file("garbage.json"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("garbage.json"), std::string::npos) << r.err;

  write_file(dir.file("wrong.json"), "{\"scenario\": 3}");
  r = run("merge " + dir.file("wrong.json"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("wrong.json"), std::string::npos) << r.err;

  EXPECT_EQ(run("merge " + dir.file("missing.json")).code, 2);

  ASSERT_EQ(run("explore racy-counter --runs 9 --shard 0/3 --json " + dir.file("a.json")).code, 1);
  ASSERT_EQ(run("explore racy-counter --runs 9 --shard 1/3 --param fibers=3 --json " + dir.file("b.json")).code, 1);
  r = run("merge " + dir.file("a.json") + " " + dir.file("b.json"));
  EXPECT_EQ(r.code, 2) << "shards of different explores";
  EXPECT_NE(r.err.find("params"), std::string::npos) << r.err;
  r = run("merge " + dir.file("a.json") + " " + dir.file("a.json"));
  EXPECT_EQ(r.code, 2) << "the same shard twice";
  r = run("merge " + dir.file("a.json"));
  EXPECT_EQ(r.code, 1) << "a partial merge still reports its failures";
  EXPECT_NE(r.err.find("missing shard"), std::string::npos);
}

// A failing racy-counter trace with room to shrink, from the first seed that gives one.
std::string failing_racy_trace(const TempDir& dir, std::uint64_t* choices) {
  for (int seed = 1; seed <= 60; ++seed) {
    const std::string path = dir.file("racy-" + std::to_string(seed) + ".trace");
    const Result r = run("run racy-counter --param fibers=3 --param increments=3 --seed " + std::to_string(seed) +
                         " --trace " + path);
    if (r.code != 1) continue;
    *choices = std::stoull(line_value(r.out, "choices"));
    if (*choices >= 18) return path;
  }
  return "";
}

TEST(CliShrink, RacyCounterShrinksToFewerChoicesAndStillFails) {
  TempDir dir;
  std::uint64_t before = 0;
  const std::string trace = failing_racy_trace(dir, &before);
  ASSERT_FALSE(trace.empty()) << "no failing seed with room to shrink";
  const std::string out = dir.file("small.trace");
  const Result r = run("shrink " + trace + " -o " + out);
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  std::smatch m;
  const std::string choices = line_value(r.out, "choices");
  ASSERT_TRUE(std::regex_match(choices, m, std::regex(R"((\d+) -> (\d+))"))) << choices;
  EXPECT_EQ(std::stoull(m[1]), before);
  EXPECT_LT(std::stoull(m[2]), before);
  EXPECT_EQ(line_value(r.out, "check"), "lost-update");

  const Result replay = run("replay " + out);
  EXPECT_EQ(replay.code, 1) << replay.out << replay.err;
  EXPECT_EQ(lines_starting(replay.out, "FAIL lost-update: ").size(), 1u);
  EXPECT_EQ(line_value(replay.out, "trace-hash"), line_value(r.out, "trace-hash"));
  EXPECT_EQ(line_value(replay.out, "choices"), m[2].str());
  // The replay's own reproduce: line names the shrunk schedule, not the seed's.
  const auto repro = lines_starting(replay.out, "reproduce: ");
  ASSERT_EQ(repro.size(), 1u);
  EXPECT_NE(repro.front().find("--schedule"), std::string::npos);
  const Result again = sh(repro.front().substr(std::string("reproduce: ").size()));
  EXPECT_EQ(again.code, 1);
  EXPECT_EQ(line_value(again.out, "trace-hash"), line_value(r.out, "trace-hash"));
}

// A whole-cluster failure: candidates are cut where the original first failed, client
// operations skipped and parameters reduced; the result replays from its file alone.
TEST(CliShrink, BrokerFailureShrinksByCutSkipsAndParameters) {
  TempDir dir;
  const std::string trace = dir.file("echo.trace");
  ASSERT_EQ(run("run broker-smoke --seed 1 --bug client_event_echoed --trace " + trace).code, 1);
  const std::string out = dir.file("echo.small");
  const Result r = run("shrink " + trace + " -o " + out + " --attempts 3000");
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  std::smatch m;
  const std::string choices = line_value(r.out, "choices");
  ASSERT_TRUE(std::regex_match(choices, m, std::regex(R"((\d+) -> (\d+))"))) << choices;
  EXPECT_LE(std::stoull(m[2]) * 10, std::stoull(m[1])) << r.out;  // at most 10% of the choices
  const std::string time = line_value(r.out, "virtual-time-us");
  ASSERT_TRUE(std::regex_match(time, m, std::regex(R"((\d+) -> (\d+))"))) << time;
  EXPECT_LT(std::stoull(m[2]), std::stoull(m[1])) << "the cut did not shorten the run";
  EXPECT_NE(line_value(r.out, "params"), "unchanged") << r.out;
  EXPECT_EQ(line_value(r.out, "check"), "phantom");
  const std::string text = read_file(out);
  EXPECT_NE(text.find("\ncap-us "), std::string::npos);
  const Result replay = run("replay " + out);
  EXPECT_EQ(replay.code, 1) << replay.out << replay.err;
  EXPECT_EQ(lines_starting(replay.out, "FAIL phantom: ").size(), 1u) << replay.out;
  EXPECT_EQ(line_value(replay.out, "trace-hash"), line_value(r.out, "trace-hash"));
  // Same input, same output: the shrink is deterministic under its counted budgets.
  const Result again = run("shrink " + trace + " -o " + dir.file("echo2.small") + " --attempts 3000");
  EXPECT_EQ(line_value(again.out, "trace-hash"), line_value(r.out, "trace-hash"));
  EXPECT_EQ(read_file(dir.file("echo2.small")), text);
}

TEST(CliShrink, PassingTraceIsAnInputError) {
  TempDir dir;
  ASSERT_EQ(run("run mutex-counter --seed 3 --trace " + dir.file("ok.trace")).code, 0);
  const Result r = run("shrink " + dir.file("ok.trace") + " -o " + dir.file("out.trace"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("ok.trace"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("out.trace")));
}

TEST(CliTraceInput, BadOrTruncatedTracesExitTwoForEveryCommand) {
  TempDir dir;
  const std::string good = dir.file("good.trace");
  ASSERT_EQ(run("run racy-counter --seed 2 --trace " + good).code, 1);
  const std::string text = read_file(good);
  write_file(dir.file("truncated.trace"), text.substr(0, text.size() / 2));
  write_file(dir.file("empty.trace"), "");
  write_file(dir.file("garbage.trace"), "hello\x01\x02 world\n");
  std::string edited = text;
  edited[edited.find("seed ") + 5] = '9';
  write_file(dir.file("edited.trace"), edited);
  for (const char* name : {"truncated.trace", "empty.trace", "garbage.trace", "edited.trace", "absent.trace"}) {
    for (const std::string& cmd : {std::string("replay "), "shrink -o " + dir.file("x") + " ", "viz -o " + dir.file("x.html") + " "}) {
      const Result r = run(cmd + dir.file(name));
      EXPECT_EQ(r.code, 2) << cmd << name << "\n" << r.out << r.err;
      EXPECT_NE(r.err.find(name), std::string::npos) << cmd << name << ": " << r.err;
    }
  }
}

TEST(CliViz, WritesASelfContainedPageWithOneLanePerFiber) {
  TempDir dir;
  ASSERT_EQ(run("run racy-counter --param fibers=3 --seed 2 --trace " + dir.file("r.trace")).code, 1);
  const std::string html_path = dir.file("r.html");
  const Result r = run("viz " + dir.file("r.trace") + " -o " + html_path);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string html = read_file(html_path);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  for (const char* lane : {"\"main\"", "\"inc-0\"", "\"inc-1\"", "\"inc-2\""}) {
    EXPECT_NE(html.find(lane), std::string::npos) << lane;
  }
  EXPECT_NE(html.find("lost-update"), std::string::npos);
  // Nothing from the network: no external scripts, styles, images or fonts.
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(std::regex_search(html, std::regex(R"(url\((?!#))")), false);
}

// The first headless browser on PATH, or empty.
std::string find_chromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    if (sh(std::string("command -v ") + name + " >/dev/null").code == 0) return name;
  }
  return "";
}

TEST(CliViz, RendersInHeadlessChromium) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) GTEST_SKIP() << "no chromium installed";
  TempDir dir;
  ASSERT_EQ(run("run pingpong --seed 3 --param messages=2 --trace " + dir.file("p.trace")).code, 0);
  ASSERT_EQ(run("viz " + dir.file("p.trace") + " -o " + dir.file("p.html")).code, 0);
  const std::string flags =
      " --headless --no-sandbox --disable-gpu --disable-background-networking --window-size=1200,400 ";
  const Result dom = sh("timeout 120 " + chromium + flags + "--dump-dom file://" + dir.file("p.html"));
  ASSERT_EQ(dom.code, 0) << dom.err;
  // The page's script ran and drew 4 lanes (nemesis + a peer on each of 3 nodes).
  EXPECT_NE(dom.out.find("data-rendered=\"4 lanes, "), std::string::npos);
  EXPECT_NE(dom.out.find("class=\"lane-label\""), std::string::npos);
  EXPECT_NE(dom.out.find(">n3</text>"), std::string::npos);
  EXPECT_NE(dom.out.find("class=\"msg\""), std::string::npos);
  const Result shot = sh("timeout 120 " + chromium + flags + "--screenshot=" + dir.file("p.png") + " file://" +
                         dir.file("p.html"));
  ASSERT_EQ(shot.code, 0) << shot.err;
  EXPECT_GT(fs::file_size(dir.file("p.png")), 10'000u);
}

// suite --bug X answers "caught by <entries>" or "not caught"; the must-find runtime
// entries keep their verdict (the bug is in the broker, not in racy-counter); --json and
// --junit carry every entry.
TEST(CliSuite, BugCaughtByNamedEntriesOrNotCaughtWithJsonAndJunit) {
  TempDir dir;
  const Result caught = run("suite smoke --jobs 2 --bug client_event_echoed --json " + dir.file("s.json") +
                            " --junit " + dir.file("s.xml"));
  EXPECT_EQ(caught.code, 1) << caught.out << caught.err;
  EXPECT_NE(caught.out.find("client_event_echoed caught by broker-smoke, "), std::string::npos) << caught.out;
  EXPECT_NE(caught.out.find("ok (found lost-update as expected)"), std::string::npos) << caught.out;
  EXPECT_NE(caught.out.find("ok (found deadlock as expected)"), std::string::npos) << caught.out;
  EXPECT_NE(caught.out.find("suite smoke: passed"), std::string::npos) << caught.out;
  const auto report = nlohmann::json::parse(read_file(dir.file("s.json")));
  EXPECT_EQ(report["bug"], "client_event_echoed");
  EXPECT_EQ(report["caught_by"][0], "broker-smoke");
  std::size_t failing_cases = 0;
  for (const auto& e : report["entries"]) {
    EXPECT_EQ(e["report"]["executions"], e["report"]["runs"]) << e["label"];
    if (e["caught_bug"].get<bool>()) {
      EXPECT_FALSE(e["report"]["groups"].empty()) << e["label"];
    }
    for (const auto& g : e["report"]["groups"]) {
      if (g["check"] != e["expect"]) failing_cases += 1;
    }
  }
  const std::string xml = read_file(dir.file("s.xml"));
  EXPECT_NE(xml.find(fmt::format("failures=\"{}\"", failing_cases)), std::string::npos) << xml.substr(0, 300);
  EXPECT_NE(xml.find("name=\"racy-counter: finds lost-update\""), std::string::npos);
  EXPECT_NE(xml.find("name=\"broker-smoke bug=client_event_echoed: phantom at broker_cluster.cc:end_checks: a "
                     "client event was echoed to its sender: memberN received its own client event "
                     "&apos;hello-memberN-N&apos; at N us\""),
            std::string::npos);

  // Smoke catches every seeded bug; the runtime suite has no broker, so it catches none.
  const Result missed = run("suite runtime --jobs 2 --bug presence_remove_on_first_close");
  EXPECT_EQ(missed.code, 0) << missed.out << missed.err;
  EXPECT_NE(missed.out.find("presence_remove_on_first_close not caught"), std::string::npos) << missed.out;

  const Result plain = run("suite smoke --jobs 2");
  EXPECT_EQ(plain.code, 0) << plain.out;
  EXPECT_EQ(plain.out.find("caught"), std::string::npos) << "no bug, no caught line";
}

// A broker failure checked at the end of the run: the page opens with the failure mark
// (where the check first fails, in virtual time) inside the viewport, the node the message
// names highlighted, client operations drawn, short-lived fibers folded, message kinds
// filterable.
TEST(CliViz, MarksABrokerFailureInViewInHeadlessChromium) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) GTEST_SKIP() << "no chromium installed";
  TempDir dir;
  ASSERT_EQ(run("run broker-smoke --seed 3 --bug fanout_unordered_workers --trace " + dir.file("f.trace")).code, 1);
  const Result viz = run("viz " + dir.file("f.trace") + " -o " + dir.file("f.html"));
  ASSERT_EQ(viz.code, 0) << viz.err;
  // The check (order) runs at the end; the failure is located at the window it names
  // (304,713 us), not at the run's end (12 s).
  const std::string where = line_value(viz.out, "failure");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(where, m, std::regex(R"(detected at (\d+) us)"))) << viz.out;
  EXPECT_GE(std::stoll(m[1]), 304'713);
  EXPECT_LE(std::stoll(m[1]), 320'000);
  const std::string flags =
      " --headless --no-sandbox --disable-gpu --disable-background-networking --window-size=1200,800 ";
  const Result dom = sh("timeout 120 " + chromium + flags + "--dump-dom file://" + dir.file("f.html"));
  ASSERT_EQ(dom.code, 0) << dom.err;
  EXPECT_NE(dom.out.find("data-failure-mark=\"in view at "), std::string::npos)
      << dom.out.substr(0, std::min<std::size_t>(dom.out.size(), 2000));
  EXPECT_NE(dom.out.find("id=\"failure-line\""), std::string::npos);
  EXPECT_NE(dom.out.find("class=\"lane-label named\""), std::string::npos);  // raw4, the session named
  EXPECT_TRUE(std::regex_search(dom.out, std::regex(R"(data-rendered="\d+ lanes, \d+ steps, \d+ messages, [1-9]\d* operations, [1-9]\d* folded")")))
      << "no operations or no folded lanes";
  EXPECT_NE(dom.out.find("class=\"op ok"), std::string::npos);
  EXPECT_NE(dom.out.find("data-kind=\"b\u2192raw\""), std::string::npos);
  // And a screenshot of that view is taken (the mark's position is checked above).
  const Result shot = sh("timeout 120 " + chromium + flags + "--screenshot=" + dir.file("f.png") + " file://" +
                         dir.file("f.html"));
  ASSERT_EQ(shot.code, 0) << shot.err;
  EXPECT_GT(fs::file_size(dir.file("f.png")), 10'000u);
}

}  // namespace
