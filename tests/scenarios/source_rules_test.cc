// DESIGN.md's determinism rules, checked on the source: no wall clocks, OS threads or
// std randomness inside the simulated layers, and core/ never includes sim/.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace {

namespace fs = std::filesystem;

std::vector<std::string> violations(const std::string& layer, const std::regex& pattern) {
  std::vector<std::string> found;
  const fs::path root = fs::path(SIMBUS_SOURCE_DIR) / layer;
  if (!fs::exists(root)) return found;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const auto ext = entry.path().extension();
    if (ext != ".h" && ext != ".cc") continue;
    std::ifstream in(entry.path());
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.find("determinism-ok") != std::string::npos) continue;
      if (std::regex_search(line, pattern)) found.push_back(entry.path().string() + ":" + std::to_string(n) + ": " + line);
    }
  }
  return found;
}

TEST(SourceRules, NoWallClockThreadsOrStdRandomnessInSimulatedLayers) {
  const std::regex forbidden(
      R"(std::random_device|[^a-z_]rand\(\)|srand\(|std::(uniform|normal|exponential|bernoulli|poisson)_[a-z_]*distribution|std::chrono::(system|steady|high_resolution)_clock|std::thread|std::this_thread|time\(NULL\)|gettimeofday|clock_gettime|std::source_location)");
  for (const char* layer : {"sim", "core", "scenarios", "testing"}) {
    const auto found = violations(layer, forbidden);
    EXPECT_TRUE(found.empty()) << found.front();
  }
}

TEST(SourceRules, CoreSeesTheWorldOnlyThroughEnv) {
  const std::regex includes_sim(R"(#include\s*[<"](sim|scenarios|tools)/)");
  const auto found = violations("core", includes_sim);
  EXPECT_TRUE(found.empty()) << found.front();
}

}  // namespace
