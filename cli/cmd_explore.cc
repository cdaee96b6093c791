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
#include "cli/explore_report.h"
#include "cli/run_common.h"

namespace simbus::cli {
namespace {

// Enumerating strategies without --runs stop here and report `exhausted: no`.
constexpr std::uint64_t kEnumerationExecutionsMax = 1'000'000;
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

class Progress {
 public:
  explicit Progress(std::optional<std::uint64_t> total)
      : total_(total), enabled_(::isatty(STDOUT_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}
  void update(std::uint64_t done, std::uint64_t failures) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    std::string eta = "-";
    if (total_ && rate > 0 && *total_ >= done) eta = fmt::format("{:.0f}s", static_cast<double>(*total_ - done) / rate);
    std::printf("\r\033[K%llu%s runs, %llu failures, %.0f runs/s, ETA %s", static_cast<unsigned long long>(done),
                total_ ? fmt::format("/{}", *total_).c_str() : "", static_cast<unsigned long long>(failures), rate,
                eta.c_str());
    std::fflush(stdout);
    shown_ = true;
  }
  void clear() {
    if (shown_) std::printf("\r\033[K");
    std::fflush(stdout);
  }

 private:
  std::optional<std::uint64_t> total_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_{};
  bool shown_ = false;
};

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
  Progress progress(opts.runs ? std::optional<std::uint64_t>(shard_seeds) : std::nullopt);
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
          progress.update(summary->executions, summary->failures.size());
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
  progress.clear();
  if (!usage_error.empty()) throw UsageError(usage_error);
}

void explore_enumerating(const ExploreOptions& opts, const scenarios::RunRequest& base, ExploreSummary* summary) {
  if (summary->shard_count != 1) {
    throw UsageError(fmt::format("--shard: strategy '{}' enumerates one space of executions and cannot be sharded "
                                 "by seed; run it unsharded",
                                 base.strategy));
  }
  if (opts.jobs != 1) {
    std::fprintf(stderr, "simbus explore: strategy '%s' runs in one process; --jobs %u ignored\n",
                 base.strategy.c_str(), opts.jobs);
  }
  std::string error;
  std::shared_ptr<sim::Strategy> strategy = sim::make_strategy(base.strategy, &error);
  if (!strategy) throw UsageError(error);
  const std::uint64_t cap = opts.runs ? *opts.runs : kEnumerationExecutionsMax;
  const Deadline deadline(opts.time_limit_s);
  Progress progress(std::nullopt);
  scenarios::RunRequest request = base;
  request.seed = opts.seed_start;
  request.strategy_object = strategy;
  std::uint64_t attempts = 0;
  // Blocked executions do not count as executions, but they are bounded too.
  const std::uint64_t attempts_max = cap > (UINT64_MAX - 1024) / 16 ? UINT64_MAX : cap * 16 + 1024;
  while (!strategy->exhausted()) {
    if (summary->executions >= cap || attempts >= attempts_max) {
      if (!opts.runs) {
        summary->complete = false;
        summary->stopped_by = "cap";
      }
      break;
    }
    if (deadline.passed()) {
      summary->complete = false;
      summary->stopped_by = "time-limit";
      break;
    }
    attempts += 1;
    const scenarios::RunResult result = scenarios::run_scenario(request);
    if (!strategy->gave_up().empty()) {
      // The strategy's own memory bound: not a result, and not the program's fault.
      std::fprintf(stderr, "simbus explore: %s\n", strategy->gave_up().c_str());
      summary->complete = false;
      summary->stopped_by = "strategy-bound";
      break;
    }
    if (strategy->last_execution_blocked()) {
      summary->blocked += 1;
      continue;
    }
    const int code = exit_code_for(result);
    if (code == kExitUsage) {
      throw UsageError(fmt::format("execution {} diverged: {}", summary->executions, result.outcome.message));
    }
    const std::uint64_t ordinal = summary->executions;
    summary->executions += 1;
    summary->schedule_hashes.insert(schedule_hash(result.log));
    if (code != kExitOk) {
      FailureRecord f;
      f.seed = request.seed;
      f.execution = ordinal;
      f.status = sim::run_status_name(result.outcome.status);
      f.check = result.outcome.check;
      f.message = result.outcome.message;
      f.site = result.outcome.site;
      f.choices = result.log.size();
      f.reproduce = scenarios::reproduce_command(program_path(), base, result);
      f.trace_hash = result.outcome.trace_hash;
      summary->failures.push_back(std::move(f));
      if (opts.stop_on_fail) {
        summary->complete = false;
        summary->stopped_by = "stop-on-fail";
        break;
      }
    }
    progress.update(summary->executions, summary->failures.size());
  }
  progress.clear();
  summary->exhausted = strategy->exhausted();
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
  return [opts] {
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
    if (summary.enumerating) {
      explore_enumerating(*opts, base, &summary);
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
