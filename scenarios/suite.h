// Suites: named lists of (scenario, parameters, seeds, expectation). An entry either
// must pass on every seed, or must find a named check's failure on at least one seed —
// the harness proving it still catches what it is known to catch.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace simbus::scenarios {

struct SuiteEntry {
  std::string scenario;
  std::vector<std::pair<std::string, std::string>> params;
  std::uint64_t seeds = 1;   // seeds 1..seeds
  std::string expect_check;  // empty: must pass every seed; else must fail this check at least once
};

struct Suite {
  std::string name;
  std::string description;
  std::vector<SuiteEntry> entries;
};

const Suite* find_suite(const std::string& name);
// Appends entries to a built-in suite ("smoke", "ci", "nightly"): a system under test that
// lives outside scenarios/ (targets/) adds its scenarios to the suites when it registers.
void add_suite_entries(const std::string& suite, const std::vector<SuiteEntry>& entries);
std::vector<const Suite*> all_suites();

}  // namespace simbus::scenarios
