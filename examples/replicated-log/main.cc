// The service's own simbus program: its scenario plus every simbus subcommand.
//   ./replicated_log explore replicated-log --runs 1000
//   ./replicated_log explore replicated-log --param backup_fsync=0   # finds the seeded bug
// Its reproduce: lines name this program, so they paste back as they are.
#include "cli/cli.h"
#include "replicated_log.h"

int main(int argc, char** argv) {
  example::register_replicated_log();
  return simbus::cli::main(argc, argv);
}
