// Pieces shared by run, replay, suite and explore: the common flags and the report.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "scenarios/scenario.h"

namespace CLI {
class App;
}

namespace simbus::cli {

struct CommonFlags {
  std::uint64_t seed = 1;
  std::vector<std::string> params;  // KEY=VALUE
  std::string strategy = "random";
  std::string bug;
};

// Adds --seed (unless with_seed is false), --param, --strategy and --bug.
void add_common_flags(CLI::App& cmd, CommonFlags& flags, bool with_seed = true);
// Splits KEY=VALUE pairs; throws UsageError naming a malformed one.
std::vector<std::pair<std::string, std::string>> parse_params(const std::vector<std::string>& params);
scenarios::RunRequest make_request(const std::string& scenario, const CommonFlags& flags);

// Prints the run's report lines; on failure the FAIL and reproduce: lines. Returns the exit code.
int print_outcome(const scenarios::RunRequest& request, const scenarios::RunResult& result);
// The report's first lines (scenario, seed, strategy, params, bug), flushed before the
// execution starts so that a crash of the code under test leaves them on stdout; then
// print_outcome(..., /*header_printed=*/true) prints the rest.
void print_header(const scenarios::RunRequest& request);
int print_outcome(const scenarios::RunRequest& request, const scenarios::RunResult& result, bool header_printed);
int exit_code_for(const scenarios::RunResult& result);

std::string read_file_or_throw(const std::string& path);
// Writes through a temporary file and a rename, so a failed write never leaves half a file.
void write_file_atomically(const std::string& path, const std::string& contents);

}  // namespace simbus::cli

#include "cli/workers.h"

namespace simbus::cli {
// Runs one request and condenses it for workers and summaries (wall time measured here).
TaskResult execute_request(const scenarios::RunRequest& request, std::size_t index);
}  // namespace simbus::cli
