// Links simbus::sim from an add_subdirectory build and runs one World: two simulated
// threads increment an atomic with fetch_add. Exit 0 when the run finished with the
// exact count, 1 otherwise.
#include <cstdio>
#include <memory>
#include <string>

#include "sim/std.h"
#include "sim/world.h"

int main() {
  namespace sstd = simbus::std_sim;
  std::string error;
  std::shared_ptr<simbus::sim::Strategy> strategy = simbus::sim::make_strategy("random", &error);
  if (!strategy) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }
  simbus::sim::WorldOptions options;
  options.seed = 7;
  simbus::sim::World world(options, strategy);
  int counted = 0;
  world.spawn(simbus::sim::kControlNode, "main", [&counted] {
    sstd::atomic<int> counter{0};
    auto increment = [&] { counter.fetch_add(1); };
    sstd::thread a(increment);
    sstd::thread b(increment);
    a.join();
    b.join();
    counted = counter.peek();
  });
  const simbus::sim::RunOutcome outcome = world.run();
  std::printf("status: %s\ncount: %d\ntrace-hash: %016llx\n", simbus::sim::run_status_name(outcome.status), counted,
              static_cast<unsigned long long>(outcome.trace_hash));
  return outcome.status == simbus::sim::RunStatus::kOk && counted == 2 ? 0 : 1;
}
