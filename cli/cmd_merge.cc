// `simbus merge A.json B.json ...`: combines the --json reports of an explore's shards
// into the summary one machine running every shard's seeds would have printed.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <set>

#include "cli/command.h"
#include "cli/explore_report.h"
#include "cli/run_common.h"
#include "cli/store_record.h"

namespace simbus::cli {
namespace {

struct MergeOptions {
  std::vector<std::string> paths;
  std::string json_path;
  std::string junit_path;
  std::string store_path;
};

std::string describe_params(const ExploreSummary& s) {
  const std::string text = params_text(s);
  return text.empty() ? "(none)" : text;
}

}  // namespace

Runner add_merge(CLI::App& app) {
  auto opts = std::make_shared<MergeOptions>();
  auto* cmd = app.add_subcommand("merge", "merge the --json reports of explore's shards into one summary");
  cmd->add_option("files", opts->paths, "explore --json reports, one per shard")->required();
  cmd->add_option("--json", opts->json_path, "write the merged report as JSON");
  cmd->add_option("--junit", opts->junit_path, "write the merged report as JUnit XML");
  add_store_option(*cmd, opts->store_path);
  return [opts] {
    StoreRecorder recorder(opts->store_path, "merge");
    std::vector<ExploreSummary> parts;
    for (const std::string& path : opts->paths) parts.push_back(from_json(read_file_or_throw(path), path));
    const ExploreSummary& first = parts.front();
    ExploreSummary merged;
    merged.scenario = first.scenario;
    merged.strategy = first.strategy;
    merged.bug = first.bug;
    merged.params = first.params;
    merged.seed_start = first.seed_start;
    merged.runs = first.runs;
    merged.enumerating = first.enumerating;
    merged.shard_count = 1;
    std::set<std::uint32_t> shards;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const ExploreSummary& p = parts[i];
      const std::string& path = opts->paths[i];
      auto mismatch = [&](const char* what, const std::string& a, const std::string& b) {
        throw UsageError(fmt::format("{}: {} '{}' differs from '{}' in {}: these are not shards of one explore",
                                     path, what, b, a, opts->paths.front()));
      };
      if (p.scenario != first.scenario) mismatch("scenario", first.scenario, p.scenario);
      if (p.strategy != first.strategy) mismatch("strategy", first.strategy, p.strategy);
      if (p.bug != first.bug) mismatch("bug", first.bug, p.bug);
      if (p.params != first.params) mismatch("params", describe_params(first), describe_params(p));
      if (p.seed_start != first.seed_start) {
        mismatch("seed_start", std::to_string(first.seed_start), std::to_string(p.seed_start));
      }
      if (p.runs != first.runs) {
        mismatch("runs", first.runs ? std::to_string(*first.runs) : "unbounded",
                 p.runs ? std::to_string(*p.runs) : "unbounded");
      }
      if (p.shard_count != first.shard_count) {
        mismatch("shard count", std::to_string(first.shard_count), std::to_string(p.shard_count));
      }
      if (!shards.insert(p.shard_index).second) {
        throw UsageError(fmt::format("{}: shard {}/{} is given twice", path, p.shard_index, p.shard_count));
      }
      merged.executions += p.executions;
      merged.blocked += p.blocked;
      merged.exhausted = merged.exhausted || p.exhausted;
      if (!p.complete) {
        merged.complete = false;
        if (merged.stopped_by.empty()) merged.stopped_by = p.stopped_by;
      }
      merged.failures.insert(merged.failures.end(), p.failures.begin(), p.failures.end());
      merged.schedule_hashes.insert(p.schedule_hashes.begin(), p.schedule_hashes.end());
      merged.wall_us += p.wall_us;
    }
    if (shards.size() != first.shard_count) {
      // Named up to a bound: a report may claim millions of shards.
      constexpr std::size_t kMissingNamedMax = 16;
      const std::size_t missing_count = first.shard_count - shards.size();
      std::string missing;
      std::size_t named = 0;
      for (std::uint32_t k = 0; k < first.shard_count && named < kMissingNamedMax; ++k) {
        if (shards.count(k)) continue;
        missing += fmt::format("{}{}/{}", missing.empty() ? "" : ", ", k, first.shard_count);
        named += 1;
      }
      if (named < missing_count) missing += fmt::format(" and {} more", missing_count - named);
      std::fprintf(stderr, "simbus merge: warning: missing shard(s) %s; the summary covers only the others\n",
                   missing.c_str());
      merged.complete = false;
      merged.stopped_by = "missing shards " + missing;
      // A partial merge reports itself as one shard of the whole, so it never passes for a full one.
      merged.shard_count = first.shard_count;
      merged.shard_index = *shards.begin();
    }
    merged.normalize();
    std::printf("scenario: %s\n", merged.scenario.c_str());
    std::printf("strategy: %s\n", merged.strategy.c_str());
    std::printf("shards: %zu of %u\n", shards.size(), first.shard_count);
    std::printf("%s", format_summary(merged).c_str());
    std::fflush(stdout);
    if (!opts->json_path.empty()) write_file_atomically(opts->json_path, to_json(merged));
    if (!opts->junit_path.empty()) write_file_atomically(opts->junit_path, to_junit(merged));
    recorder.record(merged);
    return summary_exit_code(merged);
  };
}

}  // namespace simbus::cli
