// Every history of both shared data sets gets the verdict its VERDICTS.tsv records. The
// verdicts are only the oracle here: the checker never sees them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "checkers/linearizability.h"
#include "checkers/model.h"
#include "checkers/readers.h"

namespace simbus::checkers {
namespace {

std::string data_dir() {
  if (const char* dir = std::getenv("SIMBUS_DATA_DIR")) return dir;
  return SIMBUS_SOURCE_DIR "/tests/data";
}

struct Row {
  std::string path;
  std::string expected;
};

std::vector<Row> read_verdicts(const std::string& dir) {
  std::ifstream in(dir + "/VERDICTS.tsv");
  EXPECT_TRUE(in.good()) << "cannot read " << dir << "/VERDICTS.tsv";
  std::vector<Row> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    Row row;
    std::getline(fields, row.path, '\t');
    std::getline(fields, row.expected, '\t');
    rows.push_back(row);
  }
  return rows;
}

// Checks every row; returns how many had a verdict to compare.
int check_all(const std::string& dir) {
  int compared = 0;
  for (const Row& row : read_verdicts(dir)) {
    const std::string path = dir + "/" + row.path;
    LoadedHistory loaded = load_history(path, HistoryFormat::auto_detect);
    std::unique_ptr<Model> model = make_model(loaded.model);
    EXPECT_NE(model, nullptr) << path << ": model " << loaded.model;
    if (model == nullptr) continue;
    LinearizabilityResult result = check_linearizable(loaded.history, *model, LinearizabilityLimits{});
    if (row.expected != "linearizable" && row.expected != "not_linearizable") {
      // Porcupine's one empty log has no verdict; an empty history is linearizable.
      EXPECT_TRUE(loaded.history.operations.empty()) << path;
      EXPECT_EQ(result.verdict, Verdict::linearizable) << path;
      continue;
    }
    const Verdict expected =
        row.expected == "linearizable" ? Verdict::linearizable : Verdict::not_linearizable;
    EXPECT_EQ(verdict_name(result.verdict), std::string(verdict_name(expected))) << path;
    if (result.verdict == Verdict::not_linearizable) {
      EXPECT_FALSE(result.unplaced.empty()) << path;
      EXPECT_FALSE(result.explanation.empty()) << path;
    }
    compared += 1;
  }
  return compared;
}

TEST(Verdicts, PorcupineEtcdAndKv) {
  EXPECT_EQ(check_all(data_dir() + "/porcupine"), 102 + 6);
}

TEST(Verdicts, Knossos) {
  EXPECT_GE(check_all(data_dir() + "/knossos"), 100);
}

TEST(Verdicts, SameAnswerWithThreads) {
  const std::string path = data_dir() + "/porcupine/kv/c50-bad.txt";
  LoadedHistory loaded = load_history(path, HistoryFormat::auto_detect);
  std::unique_ptr<Model> model = make_model("kv");
  LinearizabilityLimits one;
  LinearizabilityLimits two;
  two.threads = 2;
  LinearizabilityResult a = check_linearizable(loaded.history, *model, one);
  LinearizabilityResult b = check_linearizable(loaded.history, *model, two);
  EXPECT_EQ(a.verdict, Verdict::not_linearizable);
  EXPECT_EQ(a.verdict, b.verdict);
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.explanation, b.explanation);
}

}  // namespace
}  // namespace simbus::checkers
