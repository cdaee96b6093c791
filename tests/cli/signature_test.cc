// Failure signatures (cli/signature.h): seed-specific numbers abstracted, different bugs
// kept apart, and the same seeded bug over many seeds in one or a handful of groups.
#include <gtest/gtest.h>

#include <set>

#include "cli/signature.h"
#include "scenarios/scenario.h"

namespace simbus::cli {
namespace {

TEST(Signature, NumbersIdsTimesAndHashesAreAbstracted) {
  EXPECT_EQ(normalize_message("counter is 7, expected 9 (3 fibers x 3 increments)"),
            "counter is N, expected N (N fibers x N increments)");
  EXPECT_EQ(normalize_message("key news-0: the longest partial linearization places 3 of 12 operations:\n"
                              "     1. p1 publish[news-0](\"p1-0\") -> 1 ok"),
            "key news-N: the longest partial linearization places N of N operations:");
  EXPECT_EQ(normalize_message("trace 00ff12ab34cd56ef at 0x7ffd1234 took 1.25 s"), "trace H at H took N s");
  // Lists and ranges of numbers are one N (their length is seed-specific), ids keep their shape.
  EXPECT_EQ(normalize_message("log [1, 2, 3] window 120..4000 us"), "log [N] window N us");
  EXPECT_EQ(normalize_message("sock-12 of c3 on n1"), "sock-N of cN on nN");
  EXPECT_EQ(normalize_message("  two   spaces\tand a tab  "), "two spaces and a tab");
  // A word that happens to be hex letters only ("deadbeef") is a word, not a hash.
  EXPECT_EQ(normalize_message("deadbeef face"), "deadbeef face");
  // A long decimal number (a time in us) is a number, not a hash.
  EXPECT_EQ(normalize_message("window 120..12000000 us at 340000000"), "window N us at N");
}

TEST(Signature, PatternIsBoundedAndValidUtf8) {
  std::string long_line(10'000, 'x');
  EXPECT_EQ(normalize_message(long_line).size(), kPatternCharsMax);
  std::string accents;
  for (int i = 0; i < 200; ++i) accents += "\xc3\xa9";  // é
  const std::string p = normalize_message(accents);
  ASSERT_LE(p.size(), kPatternCharsMax);
  EXPECT_EQ(p.size() % 2, 0u) << "cut between the two bytes of an é";
}

TEST(Signature, KeyAndIdSeparateCheckSiteAndPattern) {
  const Signature a = make_signature("lost", "event 3 lost", "broker_cluster.cc:end_checks");
  const Signature b = make_signature("lost", "event 45 lost", "broker_cluster.cc:end_checks");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.id(), b.id());
  EXPECT_EQ(a.id().size(), 8u);
  EXPECT_NE(a, make_signature("duplicate", "event 3 lost", "broker_cluster.cc:end_checks"));
  EXPECT_NE(a, make_signature("lost", "event 3 lost", "other.cc:end_checks"));
  EXPECT_NE(a, make_signature("lost", "event 3 lost twice", "broker_cluster.cc:end_checks"));
  EXPECT_NE(a.id(), make_signature("lost", "event 3 lost twice", "broker_cluster.cc:end_checks").id());
  EXPECT_EQ(make_site("/work/x/scenarios/racy_counter.cc", "operator()"), "racy_counter.cc:operator()");
  EXPECT_EQ(make_site("", ""), "");
}

TEST(Signature, RunsCarryTheSiteThatDetectedTheFailure) {
  scenarios::RunRequest request;
  request.scenario = "racy-counter";
  std::set<std::string> keys;
  std::size_t failing = 0;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    request.seed = seed;
    const scenarios::RunResult r = scenarios::run_scenario(request);
    if (r.passed()) continue;
    failing += 1;
    EXPECT_EQ(r.outcome.site.rfind("racy_counter.cc:", 0), 0u) << r.outcome.site;
    keys.insert(signature_of(r).key());
  }
  ASSERT_GT(failing, 5u);
  EXPECT_EQ(keys.size(), 1u) << "one bug, one signature, whatever the counter's value";

  request.scenario = "philosophers";
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    request.seed = seed;
    const scenarios::RunResult r = scenarios::run_scenario(request);
    if (r.passed()) continue;
    EXPECT_EQ(r.outcome.site, "world.cc:deadlock");
    EXPECT_EQ(r.outcome.check, "deadlock");
    return;
  }
  ADD_FAILURE() << "no philosophers deadlock in 200 seeds";
}

TEST(Signature, OneSeededBugOverManySeedsGivesAHandfulOfSignatures) {
  scenarios::RunRequest request;
  request.scenario = "retry-storm";
  request.bug = "publish_ack_before_commit";
  std::set<std::string> keys;
  std::size_t failing = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    request.seed = seed;
    const scenarios::RunResult r = scenarios::run_scenario(request);
    if (r.passed()) continue;
    failing += 1;
    keys.insert(signature_of(r).key());
  }
  ASSERT_GE(failing, 20u);
  EXPECT_LE(keys.size(), 4u) << failing << " failures";
}

}  // namespace
}  // namespace simbus::cli
