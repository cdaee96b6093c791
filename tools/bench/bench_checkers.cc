// In-process figures for the checkers on the shared data: parsing and checking apart, for
// the 102 non-empty Porcupine etcd logs and for each kv log. Whole-process figures of
// `simbus check` are in docs/checkers.md.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "checkers/linearizability.h"
#include "checkers/model.h"
#include "checkers/readers.h"

namespace {

using namespace simbus::checkers;

std::string data_dir() {
  if (const char* dir = std::getenv("SIMBUS_DATA_DIR")) return dir;
  return "tests/data";  // run from the source root, or set SIMBUS_DATA_DIR
}

std::vector<std::string> etcd_files() {
  std::vector<std::string> files;
  const std::filesystem::path dir = data_dir() + "/porcupine/jepsen";
  if (!std::filesystem::exists(dir)) return files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".log" && entry.file_size() > 0) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

void BM_EtcdParse(benchmark::State& state) {
  const std::vector<std::string> files = etcd_files();
  if (files.empty()) state.SkipWithError("no data: set SIMBUS_DATA_DIR");
  for (auto _ : state) {
    for (const std::string& f : files) benchmark::DoNotOptimize(load_history(f, HistoryFormat::auto_detect));
  }
  state.counters["files"] = static_cast<double>(files.size());
}
BENCHMARK(BM_EtcdParse)->Unit(benchmark::kMillisecond);

void BM_EtcdCheck(benchmark::State& state) {
  std::vector<LoadedHistory> histories;
  for (const std::string& f : etcd_files()) histories.push_back(load_history(f, HistoryFormat::auto_detect));
  if (histories.empty()) state.SkipWithError("no data: set SIMBUS_DATA_DIR");
  std::unique_ptr<Model> model = make_model("register");
  std::int64_t steps = 0;
  for (auto _ : state) {
    for (const LoadedHistory& h : histories) steps += check_linearizable(h.history, *model, {}).steps;
  }
  state.counters["steps/iter"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_EtcdCheck)->Unit(benchmark::kMillisecond);

void BM_KvParse(benchmark::State& state, const char* name) {
  const std::string path = data_dir() + "/porcupine/kv/" + name;
  if (!std::filesystem::exists(path)) state.SkipWithError("no data: set SIMBUS_DATA_DIR");
  for (auto _ : state) benchmark::DoNotOptimize(load_history(path, HistoryFormat::auto_detect));
}
BENCHMARK_CAPTURE(BM_KvParse, c50_ok, "c50-ok.txt")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_KvParse, c50_bad, "c50-bad.txt")->Unit(benchmark::kMillisecond);

void BM_KvCheck(benchmark::State& state, const char* name) {
  const std::string path = data_dir() + "/porcupine/kv/" + name;
  if (!std::filesystem::exists(path)) {
    state.SkipWithError("no data: set SIMBUS_DATA_DIR");
    return;
  }
  LoadedHistory h = load_history(path, HistoryFormat::auto_detect);
  std::unique_ptr<Model> model = make_model("kv");
  LinearizabilityLimits limits;
  limits.threads = static_cast<int>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(check_linearizable(h.history, *model, limits));
}
BENCHMARK_CAPTURE(BM_KvCheck, c50_ok, "c50-ok.txt")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_KvCheck, c50_bad, "c50-bad.txt")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_KvCheck, c10_ok, "c10-ok.txt")->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
