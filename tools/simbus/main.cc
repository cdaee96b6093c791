// `simbus`: the command line over the built-in scenarios and the targets/ systems. A
// user's program is this file with its own scenarios registered instead (cli/cli.h).
#include "cli/cli.h"
#include "targets/targets.h"

int main(int argc, char** argv) {
  simbus::targets::register_all();
  return simbus::cli::main(argc, argv);
}
