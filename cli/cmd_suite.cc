// `simbus suite NAME`: every entry of a suite over its seeds; one line per entry; exit 1
// if any must-pass entry failed or any must-find entry found nothing. With --bug X it
// answers "is X caught, and by which entries": an entry catches X when it fails with a
// check other than the one it must find (must-find entries keep finding what they find
// without X, and that is not X's doing). --json and --junit write the entries' reports.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "scenarios/suite.h"
#include "cli/command.h"
#include "cli/explore_report.h"
#include "cli/options.h"
#include "cli/run_common.h"
#include "cli/store_record.h"

namespace simbus::cli {
namespace {

struct SuiteOptions {
  std::string name;
  unsigned jobs = 1;
  std::string bug;
  std::string strategy = "random";
  std::string json_path;
  std::string junit_path;
  std::string store_path;
};

struct EntryOutcome {
  ExploreSummary summary;
  std::string label;
  std::string expect_check;
  std::string verdict;       // printed after the entry's line
  bool failed = false;       // counts against the suite
  bool caught_bug = false;   // --bug: a failure other than the expected check
  std::size_t unexpected = 0;
  std::size_t expected_found = 0;
  std::uint64_t slowest_seed = 0;
  std::int64_t slowest_us = 0;
};

EntryOutcome run_entry(const scenarios::SuiteEntry& entry, const SuiteOptions& opts) {
  EntryOutcome out;
  out.expect_check = entry.expect_check;
  out.label = entry.scenario;
  for (const auto& [k, v] : entry.params) out.label += fmt::format(" {}={}", k, v);
  ExploreSummary& s = out.summary;
  s.scenario = entry.scenario;
  s.strategy = opts.strategy;
  s.bug = opts.bug;
  s.params = entry.params;
  s.seed_start = 1;
  s.runs = entry.seeds;
  scenarios::RunRequest base;
  base.scenario = entry.scenario;
  base.params = entry.params;
  base.strategy = opts.strategy;
  base.bug = opts.bug;
  std::vector<TaskResult> results(entry.seeds);
  WorkerOptions wo;
  wo.jobs = opts.jobs;
  wo.chunk_tasks = std::max<std::size_t>(1, entry.seeds / (opts.jobs * 4));
  run_tasks(
      entry.seeds, wo,
      [&](std::size_t i) {
        scenarios::RunRequest r = base;
        r.seed = i + 1;
        return execute_request(r, i);
      },
      [&](const TaskResult& r) {
        results[r.index] = r;
        return true;
      });
  for (const TaskResult& r : results) {
    if (r.code == kExitUsage) throw UsageError(r.message);
    const std::uint64_t seed = r.index + 1;
    if (r.wall_us > out.slowest_us || out.slowest_seed == 0) {
      out.slowest_us = r.wall_us;
      out.slowest_seed = seed;
    }
    add_task_result(&s, r, seed, base);
    if (r.code == kExitOk) continue;
    if (!entry.expect_check.empty() && r.check == entry.expect_check) {
      out.expected_found += 1;
    } else {
      out.unexpected += 1;
    }
  }
  s.normalize();
  const bool bug_mode = !opts.bug.empty();
  if (out.unexpected > 0) {
    if (bug_mode) {
      out.caught_bug = true;
      out.verdict = fmt::format("caught {} ({} signature{})", opts.bug, s.groups().size(),
                                s.groups().size() == 1 ? "" : "s");
    } else {
      out.failed = true;
      out.verdict = "FAILED";
    }
  } else if (!entry.expect_check.empty() && out.expected_found == 0) {
    out.failed = true;
    out.verdict = fmt::format("FAILED (expected to find {} and did not)", entry.expect_check);
  } else if (!entry.expect_check.empty()) {
    out.verdict = fmt::format("ok (found {} as expected)", entry.expect_check);
  } else {
    out.verdict = bug_mode ? "not caught" : "ok";
  }
  return out;
}

std::string suite_json(const scenarios::Suite& suite, const SuiteOptions& opts, const std::vector<EntryOutcome>& entries,
                       bool passed, const std::vector<std::string>& caught_by) {
  nlohmann::ordered_json j;
  j["suite"] = suite.name;
  j["strategy"] = opts.strategy;
  j["bug"] = opts.bug;
  j["passed"] = passed;
  if (!opts.bug.empty()) j["caught_by"] = caught_by;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const EntryOutcome& e : entries) {
    nlohmann::ordered_json entry;
    entry["label"] = e.label;
    entry["expect"] = e.expect_check;
    entry["verdict"] = e.verdict;
    entry["failed"] = e.failed;
    entry["caught_bug"] = e.caught_bug;
    entry["report"] = to_json_value(e.summary);
    list.push_back(std::move(entry));
  }
  j["entries"] = std::move(list);
  return j.dump(2) + "\n";
}

std::string suite_junit(const scenarios::Suite& suite, const std::vector<EntryOutcome>& entries) {
  // One <testsuite> per entry. A must-find entry's expected failures are one passing
  // testcase "<label>: finds <check>" (failing when nothing was found), other failures
  // are signature testcases as in explore's report.
  std::size_t tests_all = 0, failing_all = 0;
  std::int64_t wall_all = 0;
  std::string body;
  std::size_t index = 0;
  for (const EntryOutcome& e : entries) {
    index += 1;
    std::size_t tests = 0, failing = 0;
    std::string cases;
    ExploreSummary rest = e.summary;
    if (!e.expect_check.empty()) {
      std::int64_t found_us = 0;
      std::erase_if(rest.failures, [&](const FailureRecord& f) {
        if (f.check != e.expect_check) return false;
        found_us += f.wall_us;
        return true;
      });
      tests += 1;
      const std::string name = xml_escape(fmt::format("{}: finds {}", e.label, e.expect_check));
      const std::string classname = xml_escape("simbus.suite." + suite.name + "." + e.summary.scenario);
      if (e.expected_found == 0) {
        failing += 1;
        cases += fmt::format("      <testcase classname=\"{}\" name=\"{}\" time=\"{}\">\n", classname, name,
                             junit_seconds(e.summary.wall_us));
        cases += fmt::format("        <failure message=\"expected to find {} and did not\" type=\"expect\">{} "
                             "executions, none failed {}</failure>\n      </testcase>\n",
                             xml_escape(e.expect_check), e.summary.executions, xml_escape(e.expect_check));
      } else {
        cases += fmt::format("      <testcase classname=\"{}\" name=\"{}\" time=\"{}\"/>\n", classname, name,
                             junit_seconds(found_us));
      }
      if (!rest.failures.empty()) cases += junit_testcases(rest, "      ", &tests, &failing);
    } else {
      cases += junit_testcases(rest, "      ", &tests, &failing);
    }
    body += fmt::format("    <testsuite name=\"simbus suite {} {:02} {}\" tests=\"{}\" failures=\"{}\" time=\"{}\">\n",
                        xml_escape(suite.name), index, xml_escape(e.label), tests, failing,
                        junit_seconds(e.summary.wall_us));
    body += cases;
    body += "    </testsuite>\n";
    tests_all += tests;
    failing_all += failing;
    wall_all += e.summary.wall_us;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"simbus suite {}\" tests=\"{}\" failures=\"{}\" time=\"{}\">\n",
                     xml_escape(suite.name), tests_all, failing_all, junit_seconds(wall_all));
  out += body;
  out += "</testsuites>\n";
  return out;
}

}  // namespace

Runner add_suite(CLI::App& app) {
  auto opts = std::make_shared<SuiteOptions>();
  auto* cmd = app.add_subcommand("suite", "run a suite of scenarios over many seeds (smoke, runtime, ci, nightly)");
  cmd->add_option("name", opts->name, "suite name")->required();
  cmd->add_option("--jobs", opts->jobs, "worker processes")->check(whole_number(1, 256));
  cmd->add_option("--bug", opts->bug,
                  "switch on one seeded bug in every run and report which entries catch it (exit 1 if caught)");
  cmd->add_option("--strategy", opts->strategy, "exploration strategy (default random)");
  cmd->add_option("--json", opts->json_path, "write every entry's report as JSON (docs/cli.md)");
  cmd->add_option("--junit", opts->junit_path, "write JUnit XML: one testsuite per entry, a testcase per signature");
  add_store_option(*cmd, opts->store_path);
  return [opts] {
    const scenarios::Suite* suite = scenarios::find_suite(opts->name);
    if (suite == nullptr) {
      std::string known;
      for (const auto* s : scenarios::all_suites()) known += (known.empty() ? "" : ", ") + s->name;
      throw UsageError(fmt::format("unknown suite '{}' (known: {})", opts->name, known));
    }
    // One batch per entry, recorded as it ends: a suite cut short keeps what ran.
    StoreRecorder recorder(opts->store_path, "suite " + suite->name);
    bool suite_failed = false;
    std::vector<std::string> failure_lines;
    std::vector<std::string> caught_by;
    std::vector<EntryOutcome> outcomes;
    for (const scenarios::SuiteEntry& entry : suite->entries) {
      EntryOutcome e = run_entry(entry, *opts);
      recorder.record(e.summary, entry.expect_check);
      suite_failed = suite_failed || e.failed;
      if (e.caught_bug) caught_by.push_back(e.label);
      if (e.unexpected > 0) {
        // The entry's first failure that is not its expected check, and its signature.
        for (const FailureRecord& f : e.summary.failures) {
          if (!e.expect_check.empty() && f.check == e.expect_check) continue;
          const Signature sig = f.signature();
          failure_lines.push_back(fmt::format("{}: signature {}: {}{}{}: {}", e.label, sig.id(), sig.check,
                                              sig.site.empty() ? "" : " at ", sig.site, sig.pattern));
          failure_lines.push_back(fmt::format("FAIL {}: {}", f.check, f.message));
          failure_lines.push_back(fmt::format("reproduce: {}", f.reproduce));
          break;
        }
      }
      std::printf("%-40s runs %-6llu failures %-6zu slowest seed %llu (%.1f ms)  %s\n", e.label.c_str(),
                  static_cast<unsigned long long>(e.summary.executions), e.summary.failures.size(),
                  static_cast<unsigned long long>(e.slowest_seed), static_cast<double>(e.slowest_us) / 1000.0,
                  e.verdict.c_str());
      std::fflush(stdout);
      outcomes.push_back(std::move(e));
    }
    for (const std::string& line : failure_lines) std::printf("%s\n", line.c_str());
    if (!opts->bug.empty()) {
      if (caught_by.empty()) {
        std::printf("%s not caught\n", opts->bug.c_str());
      } else {
        std::string list;
        for (const std::string& l : caught_by) list += (list.empty() ? "" : ", ") + l;
        std::printf("%s caught by %s\n", opts->bug.c_str(), list.c_str());
      }
    }
    std::printf("suite %s: %s\n", suite->name.c_str(), suite_failed ? "FAILED" : "passed");
    std::fflush(stdout);
    if (!opts->json_path.empty()) {
      write_file_atomically(opts->json_path, suite_json(*suite, *opts, outcomes, !suite_failed, caught_by));
    }
    if (!opts->junit_path.empty()) write_file_atomically(opts->junit_path, suite_junit(*suite, outcomes));
    // With --bug: 1 if the bug was caught (a failure found), as explore --bug; a broken
    // must-find entry still fails the suite.
    if (suite_failed || !caught_by.empty()) return static_cast<int>(kExitFailed);
    return static_cast<int>(kExitOk);
  };
}

}  // namespace simbus::cli
