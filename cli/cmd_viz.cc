// `simbus viz FILE -o OUT.html`: replays a trace and draws it as a space-time diagram in
// one self-contained HTML page.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <set>

#include "cli/command.h"
#include "cli/run_common.h"
#include "cli/trace_io.h"
#include "cli/viz_html.h"

namespace simbus::cli {
namespace {

struct VizOptions {
  std::string path;
  std::string out_path;
};

}  // namespace

Runner add_viz(CLI::App& app) {
  auto opts = std::make_shared<VizOptions>();
  auto* cmd = app.add_subcommand("viz", "draw a trace as a space-time diagram (one self-contained HTML file)");
  cmd->add_option("file", opts->path, "trace file (simbus run --trace, simbus shrink -o)")->required();
  cmd->add_option("-o,--output", opts->out_path, "the HTML file to write")->required();
  return [opts] {
    LoadedTrace trace = load_trace(opts->path);
    trace.request.record_steps = true;
    VizInput input;
    input.title = opts->path;
    input.request = trace.request;
    input.result = scenarios::run_scenario(trace.request);
    if (input.result.outcome.status == sim::RunStatus::kDiverged) {
      throw UsageError(fmt::format("{}: the execution diverged from the log: {}", opts->path,
                                   input.result.outcome.message));
    }
    write_file_atomically(opts->out_path, render_viz_html(input));
    std::size_t lanes = 0;
    {
      std::set<std::pair<sim::NodeIndex, sim::FiberId>> seen;
      for (const auto& r : input.result.records) seen.insert({r.node, r.actor});
      lanes = seen.size();
    }
    std::printf("wrote: %s (%zu lanes, %zu steps%s)\n", opts->out_path.c_str(), lanes, input.result.records.size(),
                input.result.records.size() > kVizStepsMax ? fmt::format(", first {} drawn", kVizStepsMax).c_str() : "");
    std::printf("trace-hash: %016llx\n", static_cast<unsigned long long>(input.result.outcome.trace_hash));
    return static_cast<int>(kExitOk);
  };
}

}  // namespace simbus::cli
