// `readers-writers`: one writer fiber stores to an Atomic once and `n` reader fibers each
// load it once; nothing else. Each reader sees the write or not, independently, so the
// program has exactly 2^n Mazurkiewicz traces: `simbus explore readers-writers --param n=N
// --strategy dpor` explores 2^N complete executions and reports `exhausted: yes`. The
// classic first benchmark of DPOR (Flanagan & Godefroid POPL 2005; Abdulla et al. 2014).
#include <fmt/format.h>

#include <memory>

#include "scenarios/scenario.h"
#include "sim/sync.h"

namespace simbus::scenarios {

void register_readers_writers() {
  Scenario s;
  s.name = "readers-writers";
  s.description = "one writer stores an Atomic once, n readers load it once each: 2^n traces (DPOR benchmark)";
  s.params = {{"n", 2, 1, 24, "reader fibers"}};
  s.setup = [](ScenarioContext& ctx) {
    const auto n = ctx.params.get("n");
    auto x = std::make_shared<sim::Atomic<std::int64_t>>(0);
    ctx.world.spawn(sim::kControlNode, "writer", [x] { x->store(1); });
    for (std::int64_t i = 0; i < n; ++i) {
      ctx.world.spawn(sim::kControlNode, fmt::format("reader-{}", i), [x] { (void)x->load(); });
    }
    ctx.at_end([x] { (void)x; });  // keeps the Atomic alive until the world is gone
  };
  register_scenario(std::move(s));
}

}  // namespace simbus::scenarios
