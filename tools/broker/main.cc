// simbus-broker: see tools/broker/broker.h and docs/runtime.md.
#include "tools/broker/broker.h"
#include "tools/broker/options.h"

int main(int argc, char** argv) {
  simbus::broker::BrokerOptions options;
  const int parsed = simbus::broker::parse_broker_options(argc, argv, options);
  if (parsed >= 0) return parsed;
  // GATEWAY HOOK: the Pusher gateway passes its starter here (issue 15, gateway half).
  return simbus::broker::run_broker(options);
}
