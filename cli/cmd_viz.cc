// `simbus viz FILE -o OUT.html`: replays a trace and draws it as a space-time diagram in
// one self-contained HTML page.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <set>

#include "cli/command.h"
#include "cli/run_common.h"
#include "cli/shrink.h"
#include "cli/trace_io.h"
#include "cli/viz_html.h"

namespace simbus::cli {
namespace {

struct VizOptions {
  std::string path;
  std::string out_path;
};

// Where the failure was detected. A check that fails during the run stops it there; an
// end-of-run check (over the history) is located by bisection: the earliest virtual time at
// which the execution, stopped and judged there, fails with the same signature (to 1/8192 of
// the run, at most kBisectionsMax replays).
void locate_failure(const scenarios::RunRequest& request, VizInput* input) {
  const scenarios::RunResult& r = input->result;
  if (r.passed() || r.outcome.status == sim::RunStatus::kDiverged) return;
  if (r.outcome.fail_time_us >= 0) {
    input->failure_time_us = r.outcome.fail_time_us;
    input->failure_source = "during the run";
    return;
  }
  const std::string signature = failure_signature(r);
  scenarios::RunRequest probe = request;
  probe.record_steps = false;
  probe.record_history = false;
  auto fails_at = [&](std::int64_t cap_us) {
    probe.cap_time_us = cap_us;
    const scenarios::RunResult p = scenarios::run_scenario(probe);
    return !p.passed() && p.outcome.status != sim::RunStatus::kDiverged && failure_signature(p) == signature;
  };
  std::int64_t lo = 0;
  std::int64_t hi = r.outcome.now_us;
  constexpr int kBisectionsMax = 24;
  const std::int64_t resolution_us = std::max<std::int64_t>(100, hi / 8192);
  if (hi <= 0 || !fails_at(hi)) {
    input->failure_time_us = r.outcome.now_us;
    input->failure_source = "at the end of the run";
    return;
  }
  for (int i = 0; i < kBisectionsMax && hi - lo > resolution_us; ++i) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    (fails_at(mid) ? hi : lo) = mid;
  }
  input->failure_time_us = hi;
  input->failure_source = "checked at the end; the first failing cut";
}

}  // namespace

Runner add_viz(CLI::App& app) {
  auto opts = std::make_shared<VizOptions>();
  auto* cmd = app.add_subcommand("viz", "draw a trace as a space-time diagram (one self-contained HTML file)");
  cmd->add_option("file", opts->path, "trace file (simbus run --trace, simbus shrink -o)")->required();
  cmd->add_option("-o,--output", opts->out_path, "the HTML file to write")->required();
  return [opts] {
    LoadedTrace trace = load_trace(opts->path);
    trace.request.record_steps = true;
    trace.request.record_history = true;
    VizInput input;
    input.title = opts->path;
    input.request = trace.request;
    input.result = scenarios::run_scenario(trace.request);
    if (input.result.outcome.status == sim::RunStatus::kDiverged) {
      throw UsageError(fmt::format("{}: the execution diverged from the log: {}", opts->path,
                                   input.result.outcome.message));
    }
    locate_failure(trace.request, &input);
    write_file_atomically(opts->out_path, render_viz_html(input));
    std::size_t lanes = 0;
    {
      std::set<std::pair<sim::NodeIndex, sim::FiberId>> seen;
      for (const auto& r : input.result.records) seen.insert({r.node, r.actor});
      lanes = seen.size();
    }
    std::printf("wrote: %s (%zu lanes, %zu steps%s)\n", opts->out_path.c_str(), lanes, input.result.records.size(),
                input.result.records.size() > kVizStepsMax ? fmt::format(", first {} drawn", kVizStepsMax).c_str() : "");
    if (input.failure_time_us >= 0) {
      std::printf("failure: %s detected at %lld us (%s)\n", input.result.outcome.check.c_str(),
                  static_cast<long long>(input.failure_time_us), input.failure_source.c_str());
    }
    std::printf("trace-hash: %016llx\n", static_cast<unsigned long long>(input.result.outcome.trace_hash));
    return static_cast<int>(kExitOk);
  };
}

}  // namespace simbus::cli
