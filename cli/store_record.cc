#include "cli/store_record.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <utility>

#include "cli/command.h"

namespace simbus::cli {

namespace {

// The batch and failure rows of a report.
store::Batch batch_of(const ExploreSummary& s, const std::string& command, const std::string& started_at) {
  store::Batch b;
  b.command = command;
  b.scenario = s.scenario;
  b.params = params_text(s);
  b.strategy = s.strategy;
  b.bug = s.bug;
  b.seed_start = s.seed_start;
  b.runs = s.runs;
  b.shard_index = s.shard_index;
  b.shard_count = s.shard_count;
  if (s.enumerating) {
    b.schedule = fmt::format("enumeration from seed {}{}", s.seed_start, s.exhausted ? ", exhausted" : "");
  } else {
    const std::string runs = s.runs ? fmt::format("{}..{}", s.seed_start, s.seed_start + *s.runs - 1)
                                    : fmt::format("{}..", s.seed_start);
    b.schedule = fmt::format("seeds {} shard {}/{}", runs, s.shard_index, s.shard_count);
  }
  b.executions = s.executions;
  b.distinct_schedules = s.distinct_schedules();
  b.complete = s.complete;
  b.stopped_by = s.stopped_by;
  b.commit = store::current_commit();
  b.version = store::binary_version();
  b.started_at = started_at;
  return b;
}

std::vector<store::Failure> failures_of(const ExploreSummary& s, const std::string& expected_check) {
  std::vector<store::Failure> out;
  out.reserve(s.failures.size());
  for (const FailureRecord& f : s.failures) {
    const Signature sig = f.signature();
    store::Failure r;
    r.check = f.check;
    r.signature_id = sig.id();
    r.signature_key = sig.key();
    r.status = f.status;
    r.message = f.message;
    r.reproduce = f.reproduce;
    r.seed = f.seed;
    r.execution = f.execution;
    r.choices = f.choices;
    r.trace_hash = f.trace_hash;
    r.expected = !expected_check.empty() && f.check == expected_check;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

StoreRecorder::StoreRecorder(const std::string& path, std::string command)
    : command_(std::move(command)), started_at_(store::utc_now_iso8601()) {
  if (path.empty()) return;
  try {
    store_ = std::make_unique<store::Store>(path, store::Store::Mode::kCreate);
  } catch (const store::StoreError& e) {
    throw UsageError(fmt::format("--store {}", e.what()));
  }
}

void StoreRecorder::record(const ExploreSummary& summary, const std::string& expected_check) {
  if (!store_) return;
  try {
    store_->record(batch_of(summary, command_, started_at_), failures_of(summary, expected_check));
  } catch (const store::StoreError& e) {
    throw UsageError(fmt::format("--store {}", e.what()));
  }
}

void add_store_option(CLI::App& cmd, std::string& path) {
  cmd.add_option("--store", path,
                 "FILE: record the executions and failures in this results store (SQLite, created if missing; "
                 "docs/store.md); 'simbus triage FILE' reads it");
}

}  // namespace simbus::cli
