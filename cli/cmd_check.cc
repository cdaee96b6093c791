// `simbus check FILE...`: is each history linearizable? Parsing and printing only; the
// work is in checkers/.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "checkers/delivery.h"
#include "checkers/delivery_files.h"
#include "checkers/linearizability.h"
#include "checkers/model.h"
#include "checkers/readers.h"
#include "checkers/viz.h"
#include "cli/command.h"
#include "cli/options.h"

namespace simbus::cli {
namespace {

using namespace simbus::checkers;

struct CheckOptions {
  std::vector<std::string> files;
  std::string format = "auto";
  std::string model;
  std::string initial;
  double time_limit_sec = 0;
  std::int64_t steps_max = LinearizabilityLimits{}.steps_max;
  std::int64_t memory_mb_max = LinearizabilityLimits{}.memory_bytes_max >> 20;
  int threads = 0;
  std::string viz;
  bool quiet = false;
  std::string deliveries;       // a delivery log to judge with the (single) history
  std::int64_t heal_time_us = 0;  // presence views from then on must agree
};

struct FileOutcome {
  std::string error;  // bad input
  LinearizabilityResult result;
  LoadedHistory loaded;
};

HistoryFormat parse_format(const std::string& name) {
  if (name == "auto") return HistoryFormat::auto_detect;
  if (name == "jepsen-etcd") return HistoryFormat::jepsen_etcd;
  if (name == "edn") return HistoryFormat::edn;
  if (name == "jsonl") return HistoryFormat::jsonl;
  throw UsageError("--format must be auto, jepsen-etcd, edn or jsonl");
}

std::optional<Value> parse_initial(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (text == "nil") return Value{};
  std::int64_t v = 0;
  std::size_t used = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == text.size()) return Value{v};
  return Value{text};
}

FileOutcome check_file(const std::string& path, const CheckOptions& options, HistoryFormat format,
                       const LinearizabilityLimits& limits, const std::atomic<bool>& cancel) {
  FileOutcome out;
  const auto started = std::chrono::steady_clock::now();
  try {
    out.loaded = load_history(path, format);
  } catch (const ParseError& e) {
    out.error = e.what();
    return out;
  }
  if (out.loaded.history.operations.empty()) {
    // Nothing to judge: "linearizable" would be true of no recorded execution at all.
    out.error = path + ": the history has no operations (an empty history gets no verdict)";
    return out;
  }
  std::string model_name = options.model.empty() ? out.loaded.model : options.model;
  if (model_name.empty()) {
    out.error = path + ": cannot tell the model from the functions used; pass --model";
    return out;
  }
  std::optional<Value> initial = parse_initial(options.initial);
  std::unique_ptr<Model> model = make_model(model_name, initial ? &*initial : nullptr);
  if (model == nullptr) {
    out.error = "unknown model '" + model_name + "' (" + model_names() + ")";
    return out;
  }
  const auto loaded = std::chrono::steady_clock::now();
  try {
    out.result = check_linearizable(out.loaded.history, *model, limits, &cancel);
  } catch (const std::invalid_argument& e) {
    out.error = e.what();
  }
  if (std::getenv("SIMBUS_CHECK_DEBUG") != nullptr) {
    using us = std::chrono::microseconds;
    std::fprintf(stderr, "%s: load %lld us, check %lld us\n", path.c_str(),
                 static_cast<long long>(std::chrono::duration_cast<us>(loaded - started).count()),
                 static_cast<long long>(std::chrono::duration_cast<us>(std::chrono::steady_clock::now() - loaded).count()));
  }
  return out;
}

// The delivery and presence checkers over a run's delivery log and its history, as the
// scenario ran them. Prints one line per checker; false if any found a violation.
bool check_deliveries(const CheckOptions& options, const History& history) {
  DeliveryLog log;
  try {
    log = load_deliveries(options.deliveries);
  } catch (const ParseError& e) {
    throw UsageError(e.what());
  }
  bool held = true;
  auto report = [&](const char* name, const CheckReport& r) {
    if (r.ok()) {
      std::printf("%s: ok\n", name);
      return;
    }
    held = false;
    std::printf("%s: FAIL %s: %s\n", name, r.violations.front().checker.c_str(), r.violations.front().message.c_str());
    if (!options.quiet) std::printf("%s", r.to_string(&history).c_str());
  };
  report("delivery", check_delivery(history, log));
  if (!log.presence_views.empty()) report("presence", check_presence(log, options.heal_time_us));
  return held;
}

int run_check(const CheckOptions& options) {
  const HistoryFormat format = parse_format(options.format);
  if (!options.deliveries.empty() && options.files.size() != 1) {
    throw UsageError("--deliveries goes with exactly one history file (the run's --history)");
  }
  if (!options.model.empty() && make_model(options.model) == nullptr) {
    throw UsageError("unknown --model '" + options.model + "' (" + model_names() + ")");
  }
  const int hardware = std::max(1u, std::thread::hardware_concurrency());
  const int threads = options.threads > 0 ? options.threads : hardware;

  LinearizabilityLimits limits;
  limits.steps_max = options.steps_max;
  limits.memory_bytes_max = options.memory_mb_max << 20;
  limits.time_limit_ms = static_cast<std::int64_t>(options.time_limit_sec * 1000);
  // One file: its partitions share the threads. Several: the files do.
  limits.threads = options.files.size() == 1 ? threads : 1;

  // Deliberately never freed: the process ends right after printing, and tearing down
  // thousands of small operations would cost more than the check of a small file. Held
  // by a static pointer so LeakSanitizer sees it reachable rather than leaked.
  static std::vector<FileOutcome>* kept_outcomes = nullptr;
  kept_outcomes = new std::vector<FileOutcome>(options.files.size());
  std::vector<FileOutcome>& outcomes = *kept_outcomes;
  std::atomic<bool> cancel{false};
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next.fetch_add(1); i < options.files.size(); i = next.fetch_add(1)) {
      outcomes[i] = check_file(options.files[i], options, format, limits, cancel);
    }
  };
  const std::size_t workers = options.files.size() == 1 ? 1 : std::min<std::size_t>(threads, options.files.size());
  if (workers <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < workers; ++t) pool.emplace_back(worker);
    for (std::thread& t : pool) t.join();
  }

  bool bad = false, failed = false, undecided = false;
  const bool single = options.files.size() == 1;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const FileOutcome& o = outcomes[i];
    if (!o.error.empty()) {
      if (single) throw UsageError(o.error);
      std::fprintf(stderr, "simbus check: error: %s\n", bounded_message(o.error).c_str());
      std::printf("%s\tbad input\n", options.files[i].c_str());
      bad = true;
      continue;
    }
    const LinearizabilityResult& r = o.result;
    failed = failed || r.verdict == Verdict::not_linearizable;
    undecided = undecided || r.verdict == Verdict::unknown;
    std::string verdict = verdict_name(r.verdict);
    if (r.verdict == Verdict::unknown) verdict += " (" + r.unknown_reason + ")";
    if (single) {
      std::printf("%s\n", verdict.c_str());
      if (r.verdict != Verdict::linearizable && !options.quiet) std::printf("%s", r.explanation.c_str());
    } else {
      std::printf("%s\t%s\n", options.files[i].c_str(), verdict.c_str());
    }
    if (!options.viz.empty()) {
      std::string out_path = single ? options.viz : options.viz + "." + std::to_string(i) + ".html";
      std::ofstream out(out_path);
      if (!out) throw UsageError("cannot write " + out_path);
      write_viz_html(o.loaded.history, r, options.files[i], out);
    }
  }
  if (!options.deliveries.empty() && !bad) failed = !check_deliveries(options, outcomes[0].loaded.history) || failed;
  std::fflush(stdout);
  if (bad) return kExitUsage;
  if (failed) return kExitFailed;
  if (undecided) return kExitUndecided;
  return kExitOk;
}

}  // namespace

Runner add_check(CLI::App& app) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App* sub = app.add_subcommand("check", "Check histories for linearizability (exit 0 yes, 1 no, 3 unknown, 2 bad input)");
  sub->add_option("files", options->files, "History files: Jepsen etcd logs, EDN, or JSON Lines")->required();
  sub->add_option("--format", options->format, "auto | jepsen-etcd | edn | jsonl");
  sub->add_option("--model", options->model, "Model (default: from the file): " + model_names());
  sub->add_option("--initial", options->initial, "Start value of a register model (nil, an integer or text)");
  sub->add_option("--time-limit", options->time_limit_sec, "Wall-clock seconds before answering unknown (0 = none)")
      ->check(seconds(kSecondsMax));
  sub->add_option("--steps-max", options->steps_max, "Search steps per partition before answering unknown")
      ->check(whole_number(1, kStepsMax));
  sub->add_option("--memory-max-mb", options->memory_mb_max, "Search memory per partition before answering unknown")
      ->check(whole_number(1, kMemoryMbMax));
  sub->add_option("--threads", options->threads, "Worker threads (default: one per core)")
      ->check(whole_number(0, kThreadsMax));
  sub->add_option("--viz", options->viz, "Write an HTML timeline of the history and its partial linearization");
  sub->add_flag("--quiet,-q", options->quiet, "Print only the verdict");
  sub->add_option("--deliveries", options->deliveries,
                  "A delivery log (simbus run --deliveries) to judge with the history: delivery and presence checks");
  sub->add_option("--heal-time", options->heal_time_us,
                  "With --deliveries: presence views taken from this time (us) on must agree (default 0)")
      ->check(whole_number(0, kMicrosecondsMax));
  return [options] { return run_check(*options); };
}

}  // namespace simbus::cli
