// `simbus-crash-demo`: the simbus command line plus one scenario whose code crashes the
// process under some interleavings, as a user's buggy code would. crash_isolation_test
// explores it: the crash must come back as a failure with a schedule that reproduces it.
//   mode=0  a null-pointer write (SIGSEGV; under the sanitizers their report and exit 1)
//   mode=1  abort() (SIGABRT)
//   mode=2  an endless loop without a scheduling point (a hang)
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "cli/cli.h"
#include "scenarios/scenario.h"
#include "sim/sync.h"

namespace {

void crash(std::int64_t mode) {
  // The marker the test looks for: the crash happened in the code under test.
  static const char kMarker[] = "crash-demo: the reader saw the half-written state\n";
  [[maybe_unused]] const ssize_t k = ::write(STDERR_FILENO, kMarker, sizeof kMarker - 1);
  if (mode == 1) std::abort();
  if (mode == 2) {
    volatile bool spin = true;
    while (spin) {
    }
  }
  volatile int* nowhere = nullptr;
  *nowhere = 1;
}

void register_crash_demo() {
  simbus::scenarios::Scenario s;
  s.name = "crash-demo";
  s.description = "a reader that sees a writer's half-written state crashes the process (mode: 0 segv, 1 abort, 2 hang)";
  s.params = {{"mode", 0, 0, 2, "how the code under test dies"}};
  s.setup = [](simbus::scenarios::ScenarioContext& ctx) {
    const std::int64_t mode = ctx.params.get("mode");
    simbus::sim::World& world = ctx.world;
    world.spawn(simbus::sim::kControlNode, "main", [&world, mode] {
      auto stage = std::make_shared<simbus::sim::Atomic<int>>(0);
      const auto writer = simbus::sim::spawn("writer", [stage] {
        stage->store(1);
        stage->store(2);
      });
      const auto reader = simbus::sim::spawn("reader", [stage, mode] {
        if (stage->load() == 1) crash(mode);
      });
      world.join(writer);
      world.join(reader);
    });
  };
  simbus::scenarios::register_scenario(std::move(s));
}

}  // namespace

int main(int argc, char** argv) {
  register_crash_demo();
  return simbus::cli::main(argc, argv);
}
