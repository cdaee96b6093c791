#include "scenarios/suite.h"

namespace simbus::scenarios {
namespace {

const std::vector<Suite>& suites() {
  static const std::vector<Suite> all = {
      {"smoke",
       "seconds: every runtime scenario on a few seeds",
       {
           {"pingpong", {}, 10, ""},
           {"pingpong", {{"dedup", "0"}}, 10, "exactly-once"},
           {"mutex-counter", {}, 10, ""},
           {"racy-counter", {}, 20, "lost-update"},
           {"philosophers", {}, 100, "deadlock"},
       }},
      {"ci",
       "minutes on 2 cores: more seeds and larger shapes",
       {
           {"pingpong", {}, 200, ""},
           {"pingpong", {{"nodes", "5"}, {"drop_pct", "30"}}, 50, ""},
           {"pingpong", {{"dedup", "0"}}, 50, "exactly-once"},
           {"mutex-counter", {}, 200, ""},
           {"mutex-counter", {{"fibers", "8"}, {"increments", "20"}}, 200, ""},
           {"racy-counter", {}, 200, "lost-update"},
           {"racy-counter", {{"fibers", "3"}, {"increments", "3"}}, 200, "lost-update"},
           {"philosophers", {}, 1000, "deadlock"},
           {"philosophers", {{"n", "3"}, {"meals", "3"}}, 500, "deadlock"},
       }},
      {"nightly",
       "an hour: wide seed sweeps",
       {
           {"pingpong", {}, 20000, ""},
           {"pingpong", {{"nodes", "7"}, {"drop_pct", "40"}, {"dup_pct", "20"}}, 5000, ""},
           {"mutex-counter", {}, 20000, ""},
           {"mutex-counter", {{"fibers", "16"}, {"increments", "50"}}, 5000, ""},
           {"racy-counter", {{"fibers", "4"}, {"increments", "5"}}, 20000, "lost-update"},
           {"philosophers", {{"n", "7"}, {"meals", "2"}}, 20000, "deadlock"},
       }},
  };
  return all;
}

}  // namespace

const Suite* find_suite(const std::string& name) {
  for (const Suite& s : suites()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::vector<const Suite*> all_suites() {
  std::vector<const Suite*> out;
  for (const Suite& s : suites()) out.push_back(&s);
  return out;
}

}  // namespace simbus::scenarios
