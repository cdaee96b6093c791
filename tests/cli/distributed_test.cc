// The checks behind docs/distributed.md can fail: tools/compare_reports.py tells a merge
// that differs from the unsharded run, and tools/check_deploy.py refuses broken copies of
// the Kubernetes Indexed Job and the GitHub Actions matrix.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/cli/shell.h"
#include "tests/temp_dir.h"

namespace {

namespace fs = std::filesystem;

using Result = simbus::test::ShellResult;

Result sh(const std::string& command) { return simbus::test::shell(command, "distributed"); }

const std::string kSource = SIMBUS_SOURCE_DIR;
const std::string kSimbus = std::string(SIMBUS_BINARY_DIR) + "/simbus";
// Debian's python3, which has python3-yaml (tools/install-deps.sh).
const std::string kPython = "/usr/bin/python3";

class Distributed : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return dir_.file(name); }

  Result compare(const std::string& a, const std::string& b) const {
    return sh(kPython + " " + kSource + "/tools/compare_reports.py " + a + " " + b);
  }
  // A copy of deploy/`rel` with `from` replaced by `to` (which must occur).
  std::string broken_copy(const std::string& rel, const std::string& from, const std::string& to) const {
    std::string text = simbus::test::read_whole_file(kSource + "/" + rel);
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << rel << " has no '" << from << "'";
    if (at != std::string::npos) text.replace(at, from.size(), to);
    const std::string out = path(fs::path(rel).filename().string());
    std::ofstream(out) << text;
    return out;
  }
  Result check_deploy(const std::string& args) const {
    return sh(kPython + " " + kSource + "/tools/check_deploy.py " + kSimbus + " --runs 8 " + args);
  }
  bool have_yaml() const { return sh(kPython + " -c 'import yaml'").code == 0; }

  simbus::test::TempDir dir_;
};

TEST_F(Distributed, CompareReportsTellsAMergeFromADifferentRun) {
  const std::string s0 = path("s0.json"), s1 = path("s1.json"), merged = path("merged.json");
  const std::string whole = path("whole.json"), other = path("other.json");
  for (int k = 0; k < 2; ++k) {
    const Result r = sh(kSimbus + " explore racy-counter --runs 60 --no-progress --shard " + std::to_string(k) +
                        "/2 --json " + (k == 0 ? s0 : s1));
    ASSERT_EQ(r.code, 1) << r.err;
  }
  ASSERT_EQ(sh(kSimbus + " merge " + s0 + " " + s1 + " --json " + merged).code, 1);
  ASSERT_EQ(sh(kSimbus + " explore racy-counter --runs 60 --no-progress --json " + whole).code, 1);
  Result r = compare(merged, whole);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("equal: 60 executions"), std::string::npos) << r.out;

  // Other seeds: the request and what ran differ.
  ASSERT_EQ(sh(kSimbus + " explore racy-counter --runs 60 --seed-start 2 --no-progress --json " + other).code, 1);
  r = compare(merged, other);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("seed_start"), std::string::npos) << r.err;

  // One failure's message changed: named by its index.
  std::string text = simbus::test::read_whole_file(whole);
  const auto at = text.find("\"message\": \"counter is 1");
  ASSERT_NE(at, std::string::npos) << text.substr(0, 400);
  text.replace(at, 25, "\"message\": \"counter is 7");
  std::ofstream(path("edited.json")) << text;
  r = compare(merged, path("edited.json"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("failures[0]"), std::string::npos) << r.err;

  // Not a report.
  std::ofstream(path("junk.json")) << "{\"a\": 1}";
  EXPECT_EQ(compare(merged, path("junk.json")).code, 2);
  EXPECT_EQ(compare(merged, path("missing.json")).code, 2);
}

TEST_F(Distributed, CheckDeployAcceptsTheShippedExamples) {
  if (!have_yaml()) GTEST_SKIP() << "no python3-yaml";
  const Result r = check_deploy("");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("explore-indexed-job.yaml: merge equals the unsharded run"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("explore-matrix.yml: merge equals the unsharded run"), std::string::npos) << r.out;
}

TEST_F(Distributed, CheckDeployRefusesBrokenManifests) {
  if (!have_yaml()) GTEST_SKIP() << "no python3-yaml";
  const std::string job = "deploy/kubernetes/explore-indexed-job.yaml";
  const std::string matrix = "deploy/github-actions/explore-matrix.yml";
  struct Case {
    std::string file, from, to, expect;
  };
  const Case cases[] = {
      {job, "completions: 8", "completions: 7", "--shard ${JOB_COMPLETION_INDEX}/7"},
      {job, "completionMode: Indexed", "completionMod: Indexed", "unknown field 'completionMod'"},
      {job, "restartPolicy: Never\n      containers:\n        - name: explore",
       "restartPolicy: OnFailure\n      containers:\n        - name: explore", "restartPolicy must be Never"},
      {job, "- {name: reports, mountPath: /reports}", "- {name: report, mountPath: /reports}",
       "volumeMount 'report' names no volume"},
      {job, "parallelism: 8", "parallelism: 9", "parallelism above completions"},
      {matrix, "shard: [0, 1, 2, 3]", "shard: [0, 1, 2]", "--shard ${{ matrix.shard }}/3"},
      {matrix, "shard: [0, 1, 2, 3]", "shard: [1, 2, 3, 4]", "matrix.shard must be 0..N-1"},
      {matrix, "needs: explore", "needs: build", "the merge job must need the explore job"},
      {matrix, "jobs:\n", "jobs:\n  [", "yaml"},
  };
  for (const Case& c : cases) {
    const std::string copy = broken_copy(c.file, c.from, c.to);
    const std::string flag = c.file == job ? "--k8s " : "--gha ";
    const Result r = check_deploy(flag + copy);
    EXPECT_EQ(r.code, 1) << c.to << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.to << " should report '" << c.expect << "':\n" << r.err;
  }
  EXPECT_EQ(check_deploy("--k8s " + path("missing.yaml")).code, 2);
}

}  // namespace
