// `simbus explore SCENARIO`: many executions in one command. Seeded strategies (random,
// pct, ...) run seeds S, S+1, ... on worker processes, shardable across machines;
// enumerating strategies (dfs, dpor, ...) run in this process with one strategy object
// until their space is exhausted. Summary lines, failures grouped by (check, message).
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>

#include "sim/strategy.h"
#include "cli/command.h"
#include "cli/options.h"
#include "base/input_file.h"
#include "cli/enumerate.h"
#include "cli/explore_report.h"
#include "cli/progress.h"
#include "cli/run_common.h"
#include "cli/store_record.h"

namespace simbus::cli {
namespace {

// Seeded strategies with --time-limit and no --runs go on in batches of this many seeds.
constexpr std::uint64_t kBatchSeedsMax = 4'096;
// With --runs, seeds go to the workers in batches of at most this many.
constexpr std::uint64_t kBatchSeedsWithRunsMax = 1 << 16;
// ... up to this many seeds in all.
constexpr std::uint64_t kUnboundedSeedsMax = std::uint64_t{1} << 40;

struct ExploreOptions {
  std::string scenario;
  CommonFlags common;
  std::optional<std::uint64_t> runs;
  std::uint64_t seed_start = 1;
  unsigned jobs = 1;
  std::string shard = "0/1";
  bool stop_on_fail = false;
  double time_limit_s = 0;
  std::string json_path;
  std::string junit_path;
  std::string expect_check;
  bool isolate = true;
  bool progress_forced = false;
  bool progress_silenced = false;
  ProgressMode progress = ProgressMode::kAuto;
  std::uint64_t execution_timeout_s = 600;
  std::int64_t execution_timeout_ms = 600'000;
  std::string store_path;
};

void parse_shard(const std::string& text, std::uint32_t* index, std::uint32_t* count) {
  const auto slash = text.find('/');
  const char* b = text.data();
  const char* e = text.data() + text.size();
  bool ok = slash != std::string::npos;
  if (ok) {
    auto r1 = std::from_chars(b, b + slash, *index);
    auto r2 = std::from_chars(b + slash + 1, e, *count);
    ok = r1.ec == std::errc() && r1.ptr == b + slash && r2.ec == std::errc() && r2.ptr == e && *count > 0 &&
         *index < *count && *count <= kShardsMax;
  }
  if (!ok) {
    throw UsageError(fmt::format("--shard {}: expected K/M with 0 <= K < M <= {} (e.g. 0/4)", base::excerpt(text), kShardsMax));
  }
}

class Deadline {
 public:
  explicit Deadline(double seconds) : seconds_(seconds), start_(std::chrono::steady_clock::now()) {}
  bool passed() const {
    return seconds_ > 0 &&
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() >= seconds_;
  }

 private:
  double seconds_;
  std::chrono::steady_clock::time_point start_;
};

void explore_seeded(const ExploreOptions& opts, const scenarios::RunRequest& base, ExploreSummary* summary) {
  const std::uint64_t m = summary->shard_count;
  const std::uint64_t k = summary->shard_index;
  // This shard's seeds: S + k, S + k + m, ... below S + runs.
  std::uint64_t shard_seeds = kUnboundedSeedsMax;
  if (opts.runs) shard_seeds = *opts.runs > k ? (*opts.runs - k + m - 1) / m : 0;
  const Deadline deadline(opts.time_limit_s);
  ProgressLine progress(opts.progress, "simbus explore");
  auto progress_text = [&] {
    const double secs = progress.elapsed_s();
    const double rate = secs > 0 ? static_cast<double>(summary->executions) / secs : 0;
    std::string line = fmt::format("{}", summary->executions);
    if (opts.runs) line += fmt::format("/{}", shard_seeds);
    line += fmt::format(" seeds, {} failures, {:.0f} runs/s", summary->failures.size(), rate);
    if (opts.runs && rate > 0 && shard_seeds >= summary->executions) {
      line += fmt::format(", ETA {:.0f}s", static_cast<double>(shard_seeds - summary->executions) / rate);
    }
    return line;
  };
  std::uint64_t next = 0;  // ordinal of the next seed of this shard
  bool stop = false;
  std::string usage_error;
  while (!stop && next < shard_seeds) {
    // Batches bound the worker pool's task queue (and, without --runs, let the time limit end it).
    const std::uint64_t batch = std::min(opts.runs ? kBatchSeedsWithRunsMax : kBatchSeedsMax, shard_seeds - next);
    const std::uint64_t first = next;
    auto seed_of = [&](std::uint64_t i) { return opts.seed_start + k + (first + i) * m; };
    WorkerOptions wo;
    wo.jobs = opts.jobs;
    wo.isolate = opts.isolate;
    wo.task_timeout_ms = opts.execution_timeout_ms;
    wo.chunk_tasks = std::clamp<std::size_t>(batch / (opts.jobs * 8), 1, 64);
    run_tasks(
        batch, wo,
        [&](std::size_t i) {
          scenarios::RunRequest r = base;
          r.seed = seed_of(i);
          return execute_request(r, i);
        },
        [&](const TaskResult& t) {
          if (t.code == kExitUsage) {
            usage_error = t.message;
            stop = true;
            return false;
          }
          const std::uint64_t seed = seed_of(t.index);
          add_task_result(summary, t, seed, base);
          if (t.code != kExitOk) {
            if (opts.stop_on_fail) {
              summary->complete = false;
              summary->stopped_by = "stop-on-fail";
              stop = true;
              return false;
            }
          }
          progress.update(progress_text);
          if (deadline.passed()) {
            // With --runs the time limit cut the exploration short; without, it is its end.
            if (opts.runs) {
              summary->complete = false;
              summary->stopped_by = "time-limit";
            }
            stop = true;
            return false;
          }
          return true;
        });
    next += batch;
  }
  progress.finish(progress_text);
  if (!usage_error.empty()) throw UsageError(usage_error);
}

}  // namespace

Runner add_explore(CLI::App& app) {
  auto opts = std::make_shared<ExploreOptions>();
  auto* cmd = app.add_subcommand("explore", "run many executions (seeds, or an enumeration) and summarize failures");
  cmd->add_option("scenario", opts->scenario, "scenario name (see 'simbus list')")->required();
  add_common_flags(*cmd, opts->common, /*with_seed=*/false);
  cmd->add_option("--runs", opts->runs,
                  "seeds to run (all shards together; default 100), or executions for an enumerating strategy "
                  "(default: until exhausted)")
      ->check(whole_number(1, kRunsMax));
  cmd->add_option("--seed-start", opts->seed_start, "first seed (default 1)")
      ->check(whole_number(0, UINT64_MAX));
  cmd->add_option("--jobs,-j", opts->jobs, "worker processes (default 1)")->check(whole_number(1, 256));
  cmd->add_option("--shard", opts->shard, "K/M: run only seeds with (seed - seed-start) % M == K");
  cmd->add_flag("--stop-on-fail", opts->stop_on_fail, "stop at the first failing execution");
  cmd->add_option("--time-limit", opts->time_limit_s, "stop after SEC seconds of wall time")
      ->check(seconds(kSecondsMax));
  cmd->add_option("--json", opts->json_path, "write the report as JSON (schema in docs/cli.md)");
  cmd->add_option("--junit", opts->junit_path, "write the report as JUnit XML");
  cmd->add_option("--expect", opts->expect_check,
                  "CHECK: the exploration must find this check failing (exit 0 if every failure is of CHECK "
                  "and there is one, 1 otherwise); for must-find CI entries");
  cmd->add_flag("!--no-isolate", opts->isolate,
                "run the executions in this process (default: in child processes, so a crash or hang of the "
                "code under test is reported as a failure with its schedule and the exploration goes on)");
  cmd->add_option("--execution-timeout", opts->execution_timeout_s,
                  "SEC: an isolated execution silent this long is killed and reported hung (default 600)")
      ->check(whole_number(1, kCtestTimeoutSMax));
  auto* forced = cmd->add_flag("--progress", opts->progress_forced,
                               "progress on stderr: live on a terminal, else a line every 10 s and at the end");
  cmd->add_flag("--no-progress", opts->progress_silenced, "no progress lines on stderr")->excludes(forced);
  add_store_option(*cmd, opts->store_path);
  return [opts] {
    opts->progress = progress_mode(opts->progress_forced, opts->progress_silenced);
    opts->execution_timeout_ms = static_cast<std::int64_t>(opts->execution_timeout_s) * 1000;
    ExploreSummary summary;
    summary.scenario = opts->scenario;
    summary.strategy = opts->common.strategy;
    summary.bug = opts->common.bug;
    summary.params = parse_params(opts->common.params);
    summary.seed_start = opts->seed_start;
    parse_shard(opts->shard, &summary.shard_index, &summary.shard_count);
    summary.enumerating = sim::strategy_needs_schedule(opts->common.strategy);
    {
      std::string error;
      if (!sim::make_strategy(opts->common.strategy, &error)) throw UsageError("--strategy: " + error);
    }
    if (!summary.enumerating && !opts->runs && opts->time_limit_s <= 0) opts->runs = 100;
    summary.runs = opts->runs;
    scenarios::RunRequest base = make_request(opts->scenario, opts->common);
    if (scenarios::find_scenario(base.scenario) == nullptr) {
      throw UsageError(fmt::format("unknown scenario '{}' (see 'simbus list')", base.scenario));
    }
    StoreRecorder recorder(opts->store_path, "explore");
    if (summary.enumerating) {
      if (summary.shard_count != 1) {
        throw UsageError(fmt::format("--shard: strategy '{}' enumerates one space of executions and cannot be "
                                     "sharded by seed; run it unsharded",
                                     base.strategy));
      }
      if (opts->jobs != 1) {
        std::fprintf(stderr, "simbus explore: strategy '%s' runs one enumeration; --jobs %u ignored\n",
                     base.strategy.c_str(), opts->jobs);
      }
      EnumerateOptions eo;
      eo.runs = opts->runs;
      eo.seed = opts->seed_start;
      eo.stop_on_fail = opts->stop_on_fail;
      eo.time_limit_s = opts->time_limit_s;
      eo.isolate = opts->isolate;
      eo.execution_timeout_ms = opts->execution_timeout_ms;
      eo.progress = opts->progress;
      explore_enumerating(eo, base, &summary);
    } else {
      explore_seeded(*opts, base, &summary);
    }
    summary.normalize();
    std::printf("scenario: %s\n", summary.scenario.c_str());
    std::printf("strategy: %s\n", summary.strategy.c_str());
    if (summary.shard_count > 1) std::printf("shard: %u/%u\n", summary.shard_index, summary.shard_count);
    std::printf("%s", format_summary(summary).c_str());
    std::fflush(stdout);
    if (!opts->json_path.empty()) write_file_atomically(opts->json_path, to_json(summary));
    if (!opts->junit_path.empty()) write_file_atomically(opts->junit_path, to_junit(summary));
    recorder.record(summary, opts->expect_check);
    if (!opts->expect_check.empty()) {
      std::size_t other = 0;
      for (const FailureRecord& f : summary.failures) other += f.check != opts->expect_check ? 1 : 0;
      if (summary.failures.empty()) {
        std::printf("expect: FAILED (expected to find %s and did not)\n", opts->expect_check.c_str());
        return static_cast<int>(kExitFailed);
      }
      if (other > 0) {
        std::printf("expect: FAILED (%zu failures of other checks)\n", other);
        return static_cast<int>(kExitFailed);
      }
      std::printf("expect: ok (found %s as expected)\n", opts->expect_check.c_str());
      return static_cast<int>(kExitOk);
    }
    return summary_exit_code(summary);
  };
}

}  // namespace simbus::cli
