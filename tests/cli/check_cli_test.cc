// `simbus check` as a user runs it: verdict lines and exit codes 0/1/3, and exit 2 naming
// the file and line of bad input.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

namespace {

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

CliRun run(const std::string& args) {
  const std::string command = std::string(SIMBUS_BINARY_DIR "/simbus check ") + args + " 2>&1";
  CliRun result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) result.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

int run_simbus(const std::string& args) {
  const std::string command = std::string(SIMBUS_BINARY_DIR "/simbus ") + args + " >/dev/null 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string data(const std::string& path) { return SIMBUS_SOURCE_DIR "/tests/data/" + path; }

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(CheckCli, LinearizableExitsZero) {
  CliRun r = run(data("porcupine/jepsen/etcd_002.log"));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "linearizable\n");
}

TEST(CheckCli, NotLinearizableExitsOneWithExplanation) {
  CliRun r = run(data("porcupine/jepsen/etcd_000.log"));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_EQ(r.out.rfind("not linearizable\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("could not be placed"), std::string::npos) << r.out;
}

TEST(CheckCli, LimitExitsThree) {
  CliRun r = run("--steps-max 10 " + data("porcupine/kv/c50-ok.txt"));
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_EQ(r.out.rfind("unknown", 0), 0u) << r.out;
}

TEST(CheckCli, SeveralFilesOneLineEach) {
  const std::string a = data("porcupine/jepsen/etcd_002.log");
  const std::string b = data("porcupine/jepsen/etcd_000.log");
  CliRun r = run(a + " " + b);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, a + "\tlinearizable\n" + b + "\tnot linearizable\n");
}

TEST(CheckCli, BadFileExitsTwoNamingFileAndLine) {
  const std::string bad = write_temp("bad_etcd.log",
                                     "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
                                     "INFO  jepsen.util - 0\t:ok\t:raed\t3\n");
  CliRun r = run(bad);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find(bad + ":2:"), std::string::npos) << r.out;

  const std::string edn = write_temp("bad.edn", "[{:process 0, :type :invoke, :f :read}\n{:process 0 :type :ok :f}]\n");
  r = run(edn);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find(edn + ":2:"), std::string::npos) << r.out;

  const std::string jsonl = write_temp("bad.jsonl",
                                       "{\"process\":1,\"function\":\"write\",\"args\":[1],\"status\":\"ok\","
                                       "\"invoke_time\":1,\"complete_time\":2}\n"
                                       "{\"process\":1,\"function\":\"fly\",\"status\":\"ok\",\"invoke_time\":3,"
                                       "\"complete_time\":4}\n");
  r = run("--model register " + jsonl);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find(jsonl + ":2:"), std::string::npos) << r.out;
}

TEST(CheckCli, BadFileAmongGoodOnesStillExitsTwo) {
  const std::string bad = write_temp("bad2.log", "garbage\n");
  const std::string good = data("porcupine/jepsen/etcd_000.log");
  CliRun r = run(good + " " + bad);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find(good + "\tnot linearizable"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(bad + ":1:"), std::string::npos) << r.out;
}

TEST(CheckCli, MissingFileAndUnknownModelExitTwo) {
  EXPECT_EQ(run("/nonexistent/history.log").exit_code, 2);
  EXPECT_EQ(run("--model nope " + data("porcupine/jepsen/etcd_000.log")).exit_code, 2);
  EXPECT_EQ(run("--format yaml " + data("porcupine/jepsen/etcd_000.log")).exit_code, 2);
}

TEST(CheckCli, VizWritesHtml) {
  const std::string out = testing::TempDir() + "viz.html";
  CliRun r = run("--viz " + out + " " + data("porcupine/jepsen/etcd_000.log"));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  std::ifstream in(out);
  std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(html.find("<html>"), std::string::npos);
  EXPECT_NE(html.find("not linearizable"), std::string::npos);
}

// A run's history and delivery log, re-judged offline, give the run's verdict: held
// without a bug, the same checker failing with one (fanout_unordered_workers: fifo).
TEST(CheckCli, DeliveriesOfARunReJudgedOfflineToTheSameVerdict) {
  const std::string dir = testing::TempDir();
  const std::string history = dir + "smoke.history.jsonl", deliveries = dir + "smoke.deliveries.jsonl";
  ASSERT_EQ(run_simbus("run broker-smoke --seed 1 --history " + history + " --deliveries " + deliveries), 0);
  CliRun held = run(history + " --deliveries " + deliveries);
  EXPECT_EQ(held.exit_code, 0) << held.out;
  EXPECT_NE(held.out.find("delivery: ok\n"), std::string::npos) << held.out;

  const std::string bad_history = dir + "echo.history.jsonl", bad_deliveries = dir + "echo.deliveries.jsonl";
  ASSERT_EQ(run_simbus("run broker-smoke --seed 1 --bug fanout_unordered_workers --history " + bad_history +
                       " --deliveries " + bad_deliveries),
            1);
  CliRun failed = run(bad_history + " --deliveries " + bad_deliveries);
  EXPECT_EQ(failed.exit_code, 1) << failed.out;
  EXPECT_NE(failed.out.find("delivery: FAIL fifo: "), std::string::npos) << failed.out;
}

TEST(CheckCli, BadDeliveriesFileExitsTwoNamingTheLine) {
  const std::string history = data("porcupine/jepsen/etcd_002.log");
  const std::string truncated = write_temp(
      "bad.deliveries.jsonl",
      "{\"delivery\": {\"session\": \"s\", \"channel\": \"c\", \"kind\": \"event\", \"seq\": 1, \"payload\": "
      "\"p\", \"time\": 5}}\n{\"delivery\": {\"session\": \"s\", \"chan");
  CliRun r = run(history + " --deliveries " + truncated);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("bad.deliveries.jsonl:2: not valid JSON"), std::string::npos) << r.out;
  const std::string mistyped = write_temp("mistyped.deliveries.jsonl", "{\"presence_view\": {\"session\": \"s\", "
                                          "\"channel\": \"c\", \"members\": \"u1\", \"time\": 5}}\n");
  r = run(history + " --deliveries " + mistyped);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("mistyped.deliveries.jsonl:1: \"members\" must be an array"), std::string::npos) << r.out;
  r = run(history + " " + history + " --deliveries " + mistyped);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--deliveries"), std::string::npos) << r.out;
}

}  // namespace
