#include "cli/enumerate.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>

#include "base/assert.h"
#include "cli/command.h"
#include "cli/run_common.h"
#include "cli/strategy_tape.h"

namespace simbus::cli {
namespace {

// The child's exit status when its tape overflowed (one execution's strategy calls
// outgrew Tape::kBytesMax).
constexpr int kTapeOverflowExit = 97;
// How often the parent looks at a running child (for hangs).
constexpr int kWatchIntervalMs = 1'000;

struct ExecutionOutcome {
  bool blocked = false;  // sleep-set blocked: not an execution
  bool failed = false;
  std::uint64_t schedule_hash = 0;
  double log10_paths = 0;  // log10 of the product of the options at each scheduling choice
  std::int64_t wall_us = 0;
  FailureRecord failure;
};

// Byte encoding of records for the tape (written and read by the same binary).
class ByteWriter {
 public:
  template <typename T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void put_string(const std::string& s) {
    put<std::uint64_t>(s.size());
    out_.append(s);
  }
  std::span<const std::byte> bytes() const { return std::as_bytes(std::span<const char>(out_.data(), out_.size())); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> in) : in_(in) {}
  template <typename T>
  T get() {
    SIMBUS_ASSERT(at_ + sizeof(T) <= in_.size());
    T v;
    std::memcpy(&v, in_.data() + at_, sizeof v);
    at_ += sizeof v;
    return v;
  }
  std::string get_string() {
    const auto n = get<std::uint64_t>();
    SIMBUS_ASSERT(n <= in_.size() - at_);
    std::string s(reinterpret_cast<const char*>(in_.data() + at_), n);
    at_ += n;
    return s;
  }
  bool done() const { return at_ == in_.size(); }

 private:
  std::span<const std::byte> in_;
  std::size_t at_ = 0;
};

void encode_failure(ByteWriter& w, const FailureRecord& f) {
  w.put(f.seed);
  w.put(f.execution);
  w.put(f.trace_hash);
  w.put(f.choices);
  w.put(f.wall_us);
  w.put_string(f.status);
  w.put_string(f.check);
  w.put_string(f.message);
  w.put_string(f.site);
  w.put_string(f.reproduce);
}

FailureRecord decode_failure(ByteReader& r) {
  FailureRecord f;
  f.seed = r.get<std::uint64_t>();
  f.execution = r.get<std::uint64_t>();
  f.trace_hash = r.get<std::uint64_t>();
  f.choices = r.get<std::uint64_t>();
  f.wall_us = r.get<std::int64_t>();
  f.status = r.get_string();
  f.check = r.get_string();
  f.message = r.get_string();
  f.site = r.get_string();
  f.reproduce = r.get_string();
  return f;
}

ByteWriter encode_outcome(const ExecutionOutcome& o) {
  ByteWriter w;
  w.put<std::uint8_t>(o.blocked ? 1 : 0);
  w.put<std::uint8_t>(o.failed ? 1 : 0);
  w.put(o.schedule_hash);
  w.put(o.log10_paths);
  w.put(o.wall_us);
  if (o.failed) encode_failure(w, o.failure);
  return w;
}

ExecutionOutcome decode_outcome(std::span<const std::byte> bytes) {
  ByteReader r(bytes);
  ExecutionOutcome o;
  o.blocked = r.get<std::uint8_t>() != 0;
  o.failed = r.get<std::uint8_t>() != 0;
  o.schedule_hash = r.get<std::uint64_t>();
  o.log10_paths = r.get<double>();
  o.wall_us = r.get<std::int64_t>();
  if (o.failed) o.failure = decode_failure(r);
  SIMBUS_ASSERT(r.done());
  return o;
}

// Knuth's estimate of a tree's leaves from root-to-leaf paths: the mean, over paths, of
// the product of the branching at each node. DFS's paths are not drawn at random, so this
// is a guide to the order of magnitude, not a bound. Kept as log10 (products overflow).
class SpaceEstimate {
 public:
  void add(double log10_paths) {
    if (paths_ == 0) {
      log10_sum_ = log10_paths;
    } else {
      const double hi = std::max(log10_sum_, log10_paths);
      const double lo = std::min(log10_sum_, log10_paths);
      log10_sum_ = hi + std::log10(1 + std::pow(10.0, lo - hi));
    }
    paths_ += 1;
  }
  std::uint64_t paths() const { return paths_; }
  double log10_estimate() const { return paths_ == 0 ? 0 : log10_sum_ - std::log10(static_cast<double>(paths_)); }
  std::string text() const {
    const double l = log10_estimate();
    return l < 300 ? format_count(std::pow(10.0, l)) : fmt::format("1e+{:.0f}", l);
  }

 private:
  double log10_sum_ = 0;
  std::uint64_t paths_ = 0;
};

// What a child process inherits and goes on with (fork copies it), and what the parent
// keeps up to date from the tape.
struct Enumeration {
  const EnumerateOptions& options;
  const scenarios::RunRequest& base;
  ExploreSummary* summary;
  std::shared_ptr<sim::Strategy> strategy;  // the parent's (the child forwards to its copy)
  SpaceEstimate space;
  ProgressLine progress;
  std::chrono::steady_clock::time_point start;
  bool warned = false;
  Tape* tape = nullptr;  // isolated runs only

  std::string progress_text() const {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = secs > 0 ? static_cast<double>(summary->executions) / secs : 0;
    std::string line = fmt::format("{} executions", summary->executions);
    if (summary->blocked > 0) line += fmt::format(" ({} blocked)", summary->blocked);
    line += fmt::format(", {} failures, {:.0f}/s", summary->failures.size(), rate);
    if (space.paths() > 0) line += fmt::format(", space ~{} interleavings", space.text());
    return line;
  }

  void absorb(const ExecutionOutcome& o) {
    if (o.blocked) {
      summary->blocked += 1;
      return;
    }
    summary->executions += 1;
    summary->schedule_hashes.insert(o.schedule_hash);
    summary->wall_us += o.wall_us;
    if (o.failed) summary->failures.push_back(o.failure);
    space.add(o.log10_paths);
    const bool unbounded = !options.runs;  // a time limit stops it early, not in the space
    const bool already = warned || (tape != nullptr && tape->warned());
    if (unbounded && !already && space.log10_estimate() > std::log10(options.space_warning)) {
      warned = true;
      if (tape != nullptr) tape->set_warned();
      const bool reduces = base.strategy.rfind("dpor", 0) == 0;
      progress.note(fmt::format(
          "warning: this space holds ~{} interleavings (estimated from {} executions); {}. Bound it with --runs, "
          "make the scenario smaller, or use a seeded strategy (random, pct)",
          space.text(), space.paths(),
          reduces ? fmt::format("'{}' explores one per trace, far fewer, but they may still be too many to exhaust",
                                base.strategy)
                  : fmt::format("'{}' will not exhaust it", base.strategy)));
    }
  }
};

ExecutionOutcome run_one(Enumeration& e, const scenarios::RunRequest& request, bool* gave_up) {
  const auto start = std::chrono::steady_clock::now();
  const scenarios::RunResult result = scenarios::run_scenario(request);
  const std::int64_t wall_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  ExecutionOutcome o;
  o.wall_us = wall_us;
  *gave_up = !request.strategy_object->gave_up().empty();
  if (*gave_up) return o;
  if (request.strategy_object->last_execution_blocked()) {
    o.blocked = true;
    return o;
  }
  const int code = exit_code_for(result);
  if (code == kExitUsage) {
    throw UsageError(fmt::format("execution {} diverged: {}", e.summary->executions, result.outcome.message));
  }
  o.schedule_hash = schedule_hash(result.log);
  for (const sim::Choice& c : result.log) {
    if (c.kind == sim::Choice::Kind::kSchedule && c.options > 1) o.log10_paths += std::log10(c.options);
  }
  if (code != kExitOk) {
    o.failed = true;
    FailureRecord& f = o.failure;
    f.seed = request.seed;
    f.execution = e.summary->executions;
    f.status = sim::run_status_name(result.outcome.status);
    f.check = result.outcome.check;
    f.message = result.outcome.message;
    f.site = result.outcome.site;
    f.choices = result.log.size();
    f.reproduce = scenarios::reproduce_command(program_path(), e.base, result);
    f.trace_hash = result.outcome.trace_hash;
    f.wall_us = wall_us;
  }
  return o;
}

enum class LoopEnd { kFinished, kCheckpoint };

// Runs executions until the space is exhausted or a limit ends the exploration (which it
// records in the summary), absorbing each; `after` may end the loop early (checkpoint).
LoopEnd run_loop(Enumeration& e, const std::shared_ptr<sim::Strategy>& chooser,
                 const std::function<bool(const ExecutionOutcome&)>& after) {
  const EnumerateOptions& o = e.options;
  ExploreSummary* s = e.summary;
  const std::uint64_t cap = o.runs ? *o.runs : kEnumerationExecutionsMax;
  // Blocked executions do not count as executions, but they are bounded too.
  const std::uint64_t attempts_max = cap > (UINT64_MAX - 1024) / 16 ? UINT64_MAX : cap * 16 + 1024;
  scenarios::RunRequest request = e.base;
  request.seed = o.seed;
  request.strategy_object = chooser;
  while (!chooser->exhausted()) {
    if (s->executions >= cap || s->executions + s->blocked >= attempts_max) {
      if (!o.runs) {
        s->complete = false;
        s->stopped_by = "cap";
      }
      return LoopEnd::kFinished;
    }
    if (o.time_limit_s > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - e.start).count() >= o.time_limit_s) {
      s->complete = false;
      s->stopped_by = "time-limit";
      return LoopEnd::kFinished;
    }
    bool gave_up = false;
    const ExecutionOutcome outcome = run_one(e, request, &gave_up);
    if (gave_up) {
      // The strategy's own memory bound: not a result, and not the program's fault.
      e.progress.note(chooser->gave_up());
      s->complete = false;
      s->stopped_by = "strategy-bound";
      return LoopEnd::kFinished;
    }
    e.absorb(outcome);
    e.progress.update([&] { return e.progress_text(); });
    if (!after(outcome)) return LoopEnd::kCheckpoint;
    if (outcome.failed && o.stop_on_fail) {
      s->complete = false;
      s->stopped_by = "stop-on-fail";
      return LoopEnd::kFinished;
    }
  }
  return LoopEnd::kFinished;
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::strsignal(sig);
    return fmt::format("died of signal {} ({})", sig, name != nullptr ? name : "unknown");
  }
  return fmt::format("exited with status {} before finishing", WEXITSTATUS(status));
}

[[noreturn]] void child_main(Enumeration& e, Tape& tape) {
  int code = 0;
  try {
    auto recorder = std::make_shared<RecordingStrategy>(e.strategy, &tape);
    const LoopEnd end = run_loop(e, recorder, [&](const ExecutionOutcome& o) {
      tape.append(TapeRecord::kResult, encode_outcome(o).bytes());
      return tape.used_bytes() < Tape::kCheckpointBytes;
    });
    if (end == LoopEnd::kCheckpoint) {
      tape.append(TapeRecord::kCheckpoint, {});
    } else {
      ByteWriter w;
      w.put<std::uint8_t>(e.strategy->exhausted() ? 1 : 0);
      w.put<std::uint8_t>(e.summary->complete ? 1 : 0);
      w.put_string(e.summary->stopped_by);
      tape.append(TapeRecord::kFinish, w.bytes());
    }
  } catch (const UsageError& error) {
    ByteWriter w;
    w.put_string(error.what());
    tape.append(TapeRecord::kError, w.bytes());
  } catch (const scenarios::UsageError& error) {
    ByteWriter w;
    w.put_string(error.what());
    tape.append(TapeRecord::kError, w.bytes());
  }
  if (tape.overflowed()) code = kTapeOverflowExit;
  std::fflush(stdout);
  std::fflush(stderr);
  // No exit handlers, no static destructors: the parent owns every resource.
  ::_exit(code);
}

void run_isolated(Enumeration& e) {
  Tape tape;
  e.tape = &tape;
  while (true) {
    std::fflush(stdout);
    std::fflush(stderr);
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("explore: pipe failed");
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("explore: fork failed");
    if (pid == 0) {
      ::close(fds[0]);
      child_main(e, tape);  // the write end closes when the child ends, however it ends
    }
    ::close(fds[1]);
    // Wait for the pipe to close; a child whose tape stops moving is hung.
    bool hung = false;
    std::uint64_t appends = tape.appends();
    auto last_change = std::chrono::steady_clock::now();
    while (true) {
      pollfd p{fds[0], POLLIN, 0};
      const int ready = ::poll(&p, 1, kWatchIntervalMs);
      if (ready > 0) {
        char buf[64];
        if (::read(fds[0], buf, sizeof buf) <= 0) break;
        continue;
      }
      if (ready < 0 && errno != EINTR) throw std::runtime_error("explore: poll failed");
      const auto now = std::chrono::steady_clock::now();
      if (tape.appends() != appends) {
        appends = tape.appends();
        last_change = now;
      } else if (std::chrono::duration_cast<std::chrono::milliseconds>(now - last_change).count() >=
                 e.options.execution_timeout_ms) {
        ::kill(pid, SIGKILL);
        hung = true;
        break;
      }
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    // What the child finished: every execution's result, then how it ended.
    enum class End { kNone, kFinish, kCheckpoint, kError } end = End::kNone;
    std::string error;
    for (const Tape::Entry& entry : tape.entries()) {
      if (entry.type == TapeRecord::kResult) {
        e.absorb(decode_outcome(entry.bytes));
      } else if (entry.type == TapeRecord::kFinish) {
        ByteReader r(entry.bytes);
        e.summary->exhausted = r.get<std::uint8_t>() != 0;
        e.summary->complete = r.get<std::uint8_t>() != 0;
        e.summary->stopped_by = r.get_string();
        end = End::kFinish;
      } else if (entry.type == TapeRecord::kCheckpoint) {
        end = End::kCheckpoint;
      } else if (entry.type == TapeRecord::kError) {
        ByteReader r(entry.bytes);
        error = r.get_string();
        end = End::kError;
      }
    }
    if (end == End::kError) throw UsageError(error);
    if (end == End::kFinish && !hung) return;
    if (tape.overflowed() || (WIFEXITED(status) && WEXITSTATUS(status) == kTapeOverflowExit)) {
      throw std::runtime_error(fmt::format(
          "explore: execution {}'s strategy calls outgrew the isolation tape ({} MiB); run with --no-isolate",
          e.summary->executions, Tape::kBytesMax >> 20));
    }
    // A checkpoint, a crash or a hang: bring the parent's strategy to where the child's stood.
    const TapeReplay replay = replay_tape(tape, *e.strategy);
    if (!replay.matched) {
      throw std::runtime_error("explore: the strategy is not deterministic in its calls: " + replay.mismatch);
    }
    if (end == End::kCheckpoint && !hung) {
      SIMBUS_ASSERT(!replay.partial);
      tape.reset();
      continue;
    }
    const std::string why = hung ? fmt::format("recorded nothing for {} ms and was killed", e.options.execution_timeout_ms)
                                 : describe_exit(status);
    if (!replay.partial) {
      throw std::runtime_error(fmt::format("explore: the exploration's child process {} between executions", why));
    }
    // The crashed execution is a leaf of the space: the strategy backtracks from it.
    e.strategy->end_execution(true);
    scenarios::RunResult partial;
    partial.log = replay.partial_log;
    ExecutionOutcome o;
    o.failed = true;
    o.schedule_hash = schedule_hash(partial.log);
    for (const sim::Choice& c : partial.log) o.log10_paths += std::log10(std::max<std::uint32_t>(c.options, 1));
    FailureRecord& f = o.failure;
    f.seed = e.options.seed;
    f.execution = e.summary->executions;
    f.status = hung ? "hung" : "crashed";
    f.check = "worker";
    f.message = fmt::format("execution {} {}", e.summary->executions, why);
    f.site = "explore.cc:isolation";
    f.choices = partial.log.size();
    f.reproduce = scenarios::reproduce_command(program_path(), e.base, partial);
    e.absorb(o);
    tape.reset();
    if (e.options.stop_on_fail) {
      e.summary->complete = false;
      e.summary->stopped_by = "stop-on-fail";
      e.summary->exhausted = e.strategy->exhausted();
      return;
    }
    if (e.strategy->exhausted()) {
      e.summary->exhausted = true;
      return;
    }
  }
}

}  // namespace

void explore_enumerating(const EnumerateOptions& options, const scenarios::RunRequest& base, ExploreSummary* summary) {
  std::string error;
  std::shared_ptr<sim::Strategy> strategy = sim::make_strategy(base.strategy, &error);
  if (!strategy) throw UsageError(error);
  Enumeration e{options, base, summary, strategy, {}, ProgressLine(options.progress, "simbus explore"),
                std::chrono::steady_clock::now()};
  if (options.isolate) {
    run_isolated(e);
  } else {
    run_loop(e, strategy, [](const ExecutionOutcome&) { return true; });
    summary->exhausted = strategy->exhausted();
  }
  e.progress.finish([&] { return e.progress_text(); });
}

}  // namespace simbus::cli
