// Runs many independent executions, in this process (jobs = 1) or on worker processes.
// A worker that crashes or hangs is reported with the task it was running; the others
// go on. Results reach `on_result` in completion order; callers sort by index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace simbus::cli {

struct TaskResult {
  std::size_t index = 0;
  int code = 0;             // the exit code the run would give (0, 1, 2, 3)
  std::string status;       // ok, failed, deadlock, ... or crashed / hung
  std::string check;
  std::string message;
  std::string site;         // RunOutcome::site
  std::string reproduce;
  std::uint64_t trace_hash = 0;
  std::uint64_t schedule_hash = 0;  // explore_report.h schedule_hash of the choice log
  std::uint64_t choices = 0;
  std::uint64_t steps = 0;
  std::int64_t wall_us = 0;
};

struct WorkerOptions {
  unsigned jobs = 1;
  std::int64_t task_timeout_ms = 600'000;  // a worker silent this long is killed as hung
  std::size_t chunk_tasks = 8;             // tasks handed to a worker at a time
  // With jobs = 1: run the tasks in one worker process rather than in this one, so a
  // crash or hang of the code under test is reported with its task.
  bool isolate = false;
};

// `run(index)` executes one task; `on_result` returns false to stop early.
void run_tasks(std::size_t count, const WorkerOptions& options, const std::function<TaskResult(std::size_t)>& run,
               const std::function<bool(const TaskResult&)>& on_result);

}  // namespace simbus::cli
