// Every strategy's command-line spelling. A new strategy: one file with its class and a
// factory, plus one entry here.
#include <fmt/format.h>

#include "sim/strategy.h"

namespace simbus::sim {

std::unique_ptr<Strategy> make_random_strategy();
std::unique_ptr<Strategy> make_fair_random_strategy();
std::unique_ptr<Strategy> make_pct_strategy(const std::string& arg, std::string* error);
std::unique_ptr<Strategy> make_pctcp_strategy(const std::string& arg, std::string* error);
std::unique_ptr<Strategy> make_preempt_strategy(const std::string& arg, std::string* error);
std::unique_ptr<Strategy> make_delay_strategy(const std::string& arg, std::string* error);
std::unique_ptr<Strategy> make_dfs_strategy(const std::string& arg, std::string* error);
std::unique_ptr<Strategy> make_dpor_strategy(const std::string& arg, std::string* error);
std::unique_ptr<Strategy> make_source_dpor_strategy(const std::string& arg, std::string* error);

namespace {

struct Entry {
  const char* name;
  const char* description;
  bool needs_schedule;  // the seed alone does not fix its choices
  // `arg` is the text after ':' (empty if none); nullptr + error on a bad argument.
  std::unique_ptr<Strategy> (*make)(const std::string& arg, std::string* error);
};

const Entry kStrategies[] = {
    {"random", "uniform random walk over the enabled actions; random:fair weights each by how long it waited", false,
     [](const std::string& arg, std::string* error) -> std::unique_ptr<Strategy> {
       if (arg == "fair") return make_fair_random_strategy();
       if (!arg.empty()) {
         *error = "strategy 'random' takes no argument but 'fair' (random:fair)";
         return nullptr;
       }
       return make_random_strategy();
     }},
    {"pct", "pct:D[:K] probabilistic concurrency testing, bug depth D over K estimated steps (default: drawn per run)", false,
     make_pct_strategy},
    {"pctcp", "pctcp:D[:K] PCT with priorities over message chains (deliveries, systematic mode)", false,
     make_pctcp_strategy},
    {"preempt", "preempt:K[:H] random schedules with at most K preemptions over the first H opportunities", false,
     make_preempt_strategy},
    {"delay", "delay:K[:H] random schedules with at most K delays from round-robin over H opportunities", false,
     make_delay_strategy},
    {"dfs", "exhaustive depth-first enumeration; dfs:preempt:K and dfs:delay:K enumerate within a bound", true,
     make_dfs_strategy},
    {"dpor", "optimal DPOR with wakeup trees: one complete execution per Mazurkiewicz trace, none abandoned "
             "(systematic mode)",
     true, make_dpor_strategy},
    {"dpor-source", "source-DPOR with sleep sets: each Mazurkiewicz trace once, some explorations abandoned as "
                    "redundant (systematic mode)",
     true, make_source_dpor_strategy},
};

}  // namespace

std::unique_ptr<Strategy> make_strategy(const std::string& spec, std::string* error) {
  const auto colon = spec.find(':');
  const std::string name = spec.substr(0, colon);
  const std::string arg = colon == std::string::npos ? std::string() : spec.substr(colon + 1);
  for (const Entry& e : kStrategies) {
    if (name == e.name) return e.make(arg, error);
  }
  *error = fmt::format("unknown strategy '{}' (known: {})", spec, [] {
    std::string names;
    for (const Entry& e : kStrategies) names += (names.empty() ? "" : ", ") + std::string(e.name);
    return names;
  }());
  return nullptr;
}

bool strategy_needs_schedule(const std::string& spec) {
  const std::string name = spec.substr(0, spec.find(':'));
  for (const Entry& e : kStrategies) {
    if (name == e.name) return e.needs_schedule;
  }
  return false;
}

std::string strategy_list() {
  std::string out;
  for (const Entry& e : kStrategies) out += fmt::format("{}\t{}\n", e.name, e.description);
  return out;
}

}  // namespace simbus::sim
