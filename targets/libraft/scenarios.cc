#include "targets/libraft/scenarios.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <set>

#include "base/assert.h"
#include "checkers/linearizability.h"
#include "checkers/model.h"
#include "checkers/raft_safety.h"
#include "checkers/readers.h"
#include "scenarios/broker_cluster.h"
#include "scenarios/broker_nemesis.h"
#include "scenarios/scenario.h"
#include "scenarios/suite.h"
#include "sim/disk.h"
#include "sim/network.h"
#include "targets/libraft/node.h"
#include "targets/libraft/wire.h"

namespace simbus::targets::libraft {
namespace {

using scenarios::NemesisKind;

constexpr std::int64_t kAttemptTimeoutUs = 400'000;   // one request to one server
constexpr std::int64_t kOperationTimeoutUs = 3'000'000;  // then the outcome is unknown
// The deadline ends an operation; this only bounds the loop. It was 64, and refusals
// during a long election (20 ms apart) used them up well inside the liveness bound:
// slow-disk seed 9489's probe gave up at 1.4 s of a 10 s bound (a harness false alarm).
constexpr int kAttemptsMax = 10'000;
constexpr std::int64_t kThinkUsMax = 50'000;
constexpr std::int64_t kSampleEveryUs = 50'000;
constexpr std::size_t kSamplesMax = 200'000;
constexpr std::int64_t kLivenessBoundUs = 10'000'000;  // after the heal, a write commits within it
constexpr std::int64_t kLivenessDelayUs = 500'000;

// One scenario of the family: which faults, and the cluster's settings.
struct Variant {
  const char* name;
  const char* description;
  std::uint32_t nemesis = 0;      // NemesisKind flags
  int nodes = 3;
  bool lossy_network = false;     // drop, duplicate, reorder
  bool torn_writes = false;       // crashes keep a random prefix of unsynced writes, the first lost one torn
  bool slow_disk = false;         // fsync up to tens of milliseconds
  std::uint32_t append_error_per_million = 0;
  std::uint32_t snapshot_error_per_million = 0;
  unsigned snapshot_threshold = 1'024;
  unsigned snapshot_trailing = 128;
  bool transfers = false;         // leadership transfers during the fault period
  int voters = 0;                 // > 0: only the first `voters` servers are bootstrapped; membership changes run
  std::uint64_t ci_seeds = 20;
};

constexpr std::uint32_t kPartitions = scenarios::kPartitionMajority | scenarios::kPartitionBridge |
                                      scenarios::kPartitionRing | scenarios::kIsolate | scenarios::kOneWay |
                                      scenarios::kFlaky;
constexpr std::uint32_t kCrashes = scenarios::kCrashLeader | scenarios::kCrashAny | scenarios::kCrashAll;

const Variant kVariants[] = {
    {"libraft-smoke", "canonical/raft, 3 servers, KV clients, no faults: every Raft and linearizability check", 0, 3},
    {"libraft-partitions", "canonical/raft under partitions of every shape on a lossy, duplicating, reordering network",
     kPartitions, 5, true},
    {"libraft-crash-restart", "canonical/raft: leader, random and whole-cluster crashes losing unsynced and tearing writes",
     kCrashes, 3, false, true},
    {"libraft-crash-voter", "canonical/raft: servers crash right after voting, before their next fsync",
     scenarios::kCrashVoter, 3, false, true},
    {"libraft-disk-faults", "canonical/raft on slow disks whose appends and snapshot writes fail with an error status",
     scenarios::kCrashAny | scenarios::kPartitionMajority, 3, false, true, true, 20'000, 100'000, 16, 4},
    {"libraft-clock-skew", "canonical/raft with skewed and drifting clocks, paused servers and clogged links",
     scenarios::kClockSkew | scenarios::kPause | scenarios::kClog, 3},
    {"libraft-snapshots", "canonical/raft with a snapshot every 8 entries: catch-up by InstallSnapshot across crashes",
     kCrashes | scenarios::kPartitionMajority | scenarios::kIsolate, 3, true, true, false, 0, 0, 8, 2},
    {"libraft-transfer", "canonical/raft: leadership transfers mixed with partitions and crashes",
     scenarios::kPartitionMajority | scenarios::kCrashAny, 3, false, false, false, 0, 0, 1'024, 128, true},
    {"libraft-membership", "canonical/raft: servers added as spares, promoted, demoted and removed, with crashes and partitions",
     scenarios::kCrashAny | scenarios::kPartitionMajority | scenarios::kIsolate, 5, false, true, false, 0, 0, 64, 16,
     false, 3},
    {"libraft-slow-disk", "canonical/raft on disks whose fsync takes up to 30 ms, with crashes that tear writes",
     kCrashes | scenarios::kIsolate, 3, false, true, true, 0, 0, 16, 4},
    {"libraft-mixed", "canonical/raft, 5 servers, every fault kind but disk errors at once",
     kPartitions | kCrashes | scenarios::kClockSkew | scenarios::kPause | scenarios::kClog, 5, true, true, true,
     0, 0, 32, 8, true},
};

struct Run {
  ClusterShared shared;
  std::vector<std::weak_ptr<Node>> nodes;  // by server position (id - 1)
  std::vector<sim::NodeIndex> server_nodes;
  checkers::History history;
  std::vector<checkers::RaftNodeSnapshot> samples;
  scenarios::NemesisState nemesis;
  int clients_running = 0;
  bool probe_done = false;
  std::string liveness_failure;
  std::vector<std::string> liveness_detail;  // each server's state when liveness failed
  std::uint64_t ok = 0, unknown = 0;
  std::int64_t probe_latency_us = -1;
  std::int64_t disk_restarts = 0;
  std::int64_t membership_changes = 0;
};

std::shared_ptr<Node> node_at(Run& run, std::size_t i) {
  auto n = run.nodes[i].lock();
  if (!n || !n->started() || !run.shared.world->node_up(run.server_nodes[i])) return nullptr;
  return n;
}

std::optional<sim::NodeIndex> leader_of(Run& run) {
  std::optional<sim::NodeIndex> best;
  std::uint64_t best_term = 0;
  for (std::size_t i = 0; i < run.nodes.size(); ++i) {
    auto n = node_at(run, i);
    if (n && n->leader() && n->term() >= best_term) {
      best = run.server_nodes[i];
      best_term = n->term();
    }
  }
  return best;
}

std::int64_t draw(sim::World& w, std::int64_t bound) {
  return static_cast<std::int64_t>(w.draw_below(sim::DataTag::kUser, static_cast<std::uint64_t>(bound)));
}

checkers::Value to_value(std::int64_t v) { return v == kNil ? checkers::nil_value() : checkers::int_value(v); }

struct Outcome {
  checkers::Status status = checkers::Status::info;
  std::int64_t value = 0;
};

// Sends `cmd` until a server answers it for certain or the operation times out. Retries
// carry the same request number, which the FSM applies once however often it arrives.
Outcome perform(Run& run, sim::World& w, KvCommand cmd, std::size_t* target, std::int64_t timeout_us) {
  sim::Network& net = w.network();
  const std::int64_t deadline_us = w.now_us() + timeout_us;
  // A refusal (not leader) proves only that the copy refused was not applied: a copy the
  // network duplicated or delayed may reach a leader later and be applied (partitions
  // seed 1990 read a write its client had recorded as failed). So an operation given up
  // on is unknown, never failed, once any copy of it was sent.
  for (int attempt = 0; attempt < kAttemptsMax && w.now_us() < deadline_us; ++attempt) {
    net.send(run.server_nodes[*target], encode_request(ClientRequest{cmd}));
    const std::int64_t attempt_end_us = std::min(deadline_us, w.now_us() + kAttemptTimeoutUs);
    std::optional<ClientReply> rep;
    while (!rep && w.now_us() < attempt_end_us) {
      auto d = net.receive(attempt_end_us - w.now_us());
      if (!d) break;
      auto r = decode_reply(d->payload);
      if (r && r->client == cmd.client && r->request == cmd.request) rep = r;
    }
    if (rep && rep->status == ReplyStatus::kOk) return Outcome{checkers::Status::ok, rep->value};
    std::size_t next = (*target + 1) % run.server_nodes.size();
    if (rep && rep->status == ReplyStatus::kNotLeader && rep->leader_hint >= 1 &&
        rep->leader_hint <= run.server_nodes.size() && rep->leader_hint - 1 != *target) {
      next = rep->leader_hint - 1;
    } else if (rep && rep->status == ReplyStatus::kNotLeader) {
      w.sleep_for_us(20'000);  // an election may be under way
    }
    *target = next;
  }
  return Outcome{checkers::Status::info, 0};
}

void client_main(Run& run, sim::World& w, std::uint32_t client, std::int64_t ops, std::int64_t keys) {
  std::size_t target = static_cast<std::size_t>(draw(w, static_cast<std::int64_t>(run.server_nodes.size())));
  std::int64_t generation = 0;
  std::vector<std::int64_t> seen(static_cast<std::size_t>(keys), kNil);
  for (std::int64_t i = 0; i < ops; ++i) {
    w.sleep_for_us(draw(w, kThinkUsMax));
    if (w.skip(fmt::format("op-c{}-{}", client, i))) continue;  // shrinking removes operations
    KvCommand cmd;
    cmd.client = client;
    cmd.request = static_cast<std::uint64_t>(i + 1);
    cmd.key = static_cast<std::uint32_t>(draw(w, keys));
    const std::int64_t pick = draw(w, 10);
    const std::int64_t fresh = static_cast<std::int64_t>(client) * 100'000 + i + 1;
    checkers::Operation op;
    op.process = static_cast<std::int64_t>(client) * 10'000 + generation;
    op.key = fmt::format("k{}", cmd.key);
    if (pick < 4) {
      cmd.op = KvOp::kWrite;
      cmd.a = fresh;
      op.function = "write";
      op.args = {checkers::int_value(fresh)};
    } else if (pick < 8 || seen[cmd.key] == kNil) {
      cmd.op = KvOp::kRead;
      op.function = "read";
    } else {
      cmd.op = KvOp::kCas;
      cmd.a = seen[cmd.key];
      cmd.b = fresh;
      op.function = "cas";
      op.args = {checkers::int_value(cmd.a), checkers::int_value(fresh)};
    }
    op.invoke_time = w.now_us();
    const Outcome out = perform(run, w, cmd, &target, kOperationTimeoutUs);
    op.status = out.status;
    op.complete_time = w.now_us();
    if (out.status == checkers::Status::ok) {
      run.ok += 1;
      if (cmd.op == KvOp::kRead) {
        op.results = {to_value(out.value)};
        seen[cmd.key] = out.value;
      } else if (cmd.op == KvOp::kCas) {
        op.results = {checkers::int_value(out.value)};
        if (out.value == 1) seen[cmd.key] = fresh;
      } else {
        seen[cmd.key] = fresh;
      }
    } else {
      SIMBUS_ASSERT(out.status == checkers::Status::info);  // perform() never says failed
      run.unknown += 1;
      generation += 1;  // an unknown operation never returns: its process is done
    }
    run.history.operations.push_back(std::move(op));
  }
  run.clients_running -= 1;
}

// After the faults heal, one write must commit within the liveness bound.
void probe_main(Run& run, sim::World& w, std::uint32_t client) {
  while (run.nemesis.heal_time_us < 0) w.sleep_for_us(100'000);
  w.sleep_for_us(kLivenessDelayUs);
  const std::int64_t start_us = w.now_us();
  KvCommand cmd;
  cmd.client = client;
  cmd.request = 1;
  cmd.op = KvOp::kWrite;
  cmd.key = 0;
  cmd.a = static_cast<std::int64_t>(client) * 100'000 + 1;
  checkers::Operation op;
  op.process = static_cast<std::int64_t>(client) * 10'000;
  op.function = "write";
  op.key = "k0";
  op.args = {checkers::int_value(cmd.a)};
  op.invoke_time = w.now_us();
  std::size_t target = 0;
  const Outcome out = perform(run, w, cmd, &target, kLivenessBoundUs);
  op.status = out.status;
  op.complete_time = w.now_us();
  run.history.operations.push_back(op);
  if (out.status != checkers::Status::ok) {
    run.liveness_failure = fmt::format("no write committed within {} us after the faults healed at {} us",
                                       kLivenessBoundUs, run.nemesis.heal_time_us);
    for (std::size_t i = 0; i < run.nodes.size(); ++i) {
      auto n = run.nodes[i].lock();
      run.liveness_detail.push_back(n && w.node_up(run.server_nodes[i]) ? n->describe()
                                                                         : fmt::format("n{}: down", i + 1));
    }
  } else {
    run.probe_latency_us = w.now_us() - start_us;
  }
  run.probe_done = true;
}

// Raft state for checkers::check_raft_safety, every kSampleEveryUs. Entries compacted
// into a snapshot are filled in from what was seen committed (a snapshot holds exactly
// committed entries); a node whose compacted prefix was not all seen is left out.
void sample(Run& run, sim::World& w) {
  for (std::size_t i = 0; i < run.nodes.size(); ++i) {
    auto n = node_at(run, i);
    if (!n) continue;
    raft* r = n->library();
    checkers::RaftNodeSnapshot s;
    s.time = w.now_us();
    s.node = n->name();
    s.term = static_cast<std::int64_t>(r->current_term);
    if (r->voted_for != 0) {
      const ServerInfo* v = run.shared.server(r->voted_for);
      s.voted_for = v ? v->address : fmt::format("id{}", r->voted_for);
    }
    s.role = r->state == RAFT_LEADER      ? checkers::RaftRole::leader
             : r->state == RAFT_CANDIDATE ? checkers::RaftRole::candidate
                                          : checkers::RaftRole::follower;
    s.commit_index = static_cast<std::int64_t>(r->commit_index);
    const std::uint64_t last = n->last_index();
    bool complete = true;
    for (std::uint64_t idx = 1; idx <= last && complete; ++idx) {
      std::optional<EntryView> e = n->entry_view(idx);
      if (!e) e = run.shared.checks.committed(idx);
      if (!e) complete = false;
      else s.log.push_back({static_cast<std::int64_t>(e->term), e->digest});
    }
    if (complete && run.samples.size() < kSamplesMax) run.samples.push_back(std::move(s));
  }
}

// Membership changes through the leader, one at a time, during the fault period: a server
// outside the configuration is added as a spare and then made a voter or a stand-by; a
// voter or stand-by (never the last three voters) is demoted or removed.
void membership_main(Run& run, sim::World& w, std::int64_t fault_ms) {
  const std::int64_t until_us = w.now_us() + fault_ms * 1000;
  while (w.now_us() < until_us) {
    w.sleep_for_us(100'000 + draw(w, 400'000));
    const auto leader = leader_of(run);
    if (!leader) continue;
    auto n = run.nodes[run.shared.server_at(*leader)->id - 1].lock();
    if (!n) continue;
    const raft_configuration& conf = n->library()->configuration;
    if (n->library()->configuration_uncommitted_index != 0) continue;  // one change at a time
    std::vector<std::uint64_t> members, voters;
    for (unsigned i = 0; i < conf.n; ++i) {
      members.push_back(conf.servers[i].id);
      if (conf.servers[i].role == RAFT_VOTER) voters.push_back(conf.servers[i].id);
    }
    std::vector<std::uint64_t> outside;
    for (const ServerInfo& s : run.shared.servers) {
      if (std::find(members.begin(), members.end(), s.id) == members.end()) outside.push_back(s.id);
    }
    const std::int64_t kind = draw(w, 4);
    std::uint64_t target = 0;
    int role = RAFT_VOTER;
    enum { kAdd, kAssign, kRemove } op = kAdd;
    if (kind == 0 && !outside.empty()) {
      op = kAdd;
      target = outside[static_cast<std::size_t>(draw(w, static_cast<std::int64_t>(outside.size())))];
    } else if (kind <= 2) {
      op = kAssign;
      target = members[static_cast<std::size_t>(draw(w, static_cast<std::int64_t>(members.size())))];
      const bool is_voter = std::find(voters.begin(), voters.end(), target) != voters.end();
      if (is_voter && voters.size() <= 3) continue;
      role = is_voter ? RAFT_STANDBY : RAFT_VOTER;
    } else {
      op = kRemove;
      target = members[static_cast<std::size_t>(draw(w, static_cast<std::int64_t>(members.size())))];
      const bool is_voter = std::find(voters.begin(), voters.end(), target) != voters.end();
      if ((is_voter && voters.size() <= 3) || target == n->library()->id) continue;
    }
    if (target == 0) continue;
    run.membership_changes += 1;
    const ServerInfo* s = run.shared.server(target);
    n->post([n = n.get(), op, target, role, address = s->address] {
      auto* req = static_cast<struct raft_change*>(raft_calloc(1, sizeof(struct raft_change)));
      SIMBUS_ASSERT(req != nullptr);
      auto done = [](struct raft_change* c, int) { raft_free(c); };
      int rv = 0;
      if (op == kAdd) rv = raft_add(n->library(), req, target, address.c_str(), done);
      else if (op == kAssign) rv = raft_assign(n->library(), req, target, role, done);
      else rv = raft_remove(n->library(), req, target, done);
      if (rv != 0) raft_free(req);  // refused at once: no callback will come
    });
  }
}

void setup_run(scenarios::ScenarioContext& ctx, const Variant& v) {
  sim::World& world = ctx.world;
  auto run = std::make_shared<Run>();
  const std::int64_t nodes = ctx.params.get("nodes");
  const std::int64_t clients = ctx.params.get("clients");
  const std::int64_t ops = ctx.params.get("ops");
  const std::int64_t keys = ctx.params.get("keys");
  const std::int64_t fault_ms = ctx.params.get("fault_ms");

  ClusterShared& sh = run->shared;
  sh.world = &world;
  sh.snapshot_threshold = static_cast<unsigned>(ctx.params.get("snapshot_threshold"));
  sh.snapshot_trailing = std::min<unsigned>(v.snapshot_trailing, sh.snapshot_threshold);
  sh.append_error_per_million = v.append_error_per_million;
  const std::int64_t tolerate = ctx.params.get("tolerate");
  if (tolerate & 1) sh.checks.tolerate("raft-leader-append-only");
  if (tolerate & 2) sh.checks.tolerate("raft-log-matching");
  if (tolerate & 4) sh.checks.tolerate("libraft-io-contract");
  sh.snapshot_error_per_million = v.snapshot_error_per_million;

  sim::NetworkConfig net;
  if (v.lossy_network) {
    net.drop_per_million = 20'000;
    net.duplicate_per_million = 10'000;
    net.reorder_per_million = 10'000;
  }
  world.network().configure(net);
  sim::DiskConfig disk;
  disk.crash_keeps_unsynced_prefix = v.torn_writes;
  disk.torn_write_per_million = v.torn_writes ? 300'000 : 0;
  if (v.slow_disk) disk.latency_us_max = 30'000;
  world.disk().configure(disk);

  for (std::int64_t i = 0; i < nodes; ++i) {
    const auto id = static_cast<std::uint64_t>(i + 1);
    const std::string address = fmt::format("n{}", id);
    auto boot = [run, id, &world] {
      const ServerInfo* self = run->shared.server(id);
      SIMBUS_ASSERT(self != nullptr);
      auto node = std::make_shared<Node>(run->shared, *self);
      run->nodes[id - 1] = node;
      node->run();
    };
    const sim::NodeIndex index = world.add_node(address, boot);
    sh.servers.push_back(ServerInfo{id, address, index});
    if (v.voters == 0 || i < v.voters) sh.bootstrap_voters.push_back(id);
    run->server_nodes.push_back(index);
    run->nodes.emplace_back();
    world.spawn(index, "boot", boot);
  }

  run->clients_running = static_cast<int>(clients);
  for (std::int64_t c = 0; c < clients; ++c) {
    const sim::NodeIndex node = world.add_node(fmt::format("c{}", c + 1));
    const auto client = static_cast<std::uint32_t>(c + 1);
    world.spawn(node, "client", [run, &world, client, ops, keys] { client_main(*run, world, client, ops, keys); });
  }
  {
    const sim::NodeIndex node = world.add_node("probe");
    const auto client = static_cast<std::uint32_t>(clients + 1);
    world.spawn(node, "probe", [run, &world, client] { probe_main(*run, world, client); });
  }
  world.spawn(sim::kControlNode, "raft-sampler", [run, &world] {
    for (;;) {
      world.sleep_for_us(kSampleEveryUs);
      sample(*run, world);
    }
  });
  if (v.transfers) {
    world.spawn(sim::kControlNode, "transfers", [run, &world, fault_ms] {
      const std::int64_t until_us = world.now_us() + fault_ms * 1000;
      while (world.now_us() < until_us) {
        world.sleep_for_us(200'000 + draw(world, 800'000));
        const auto leader = leader_of(*run);
        if (!leader) continue;
        const ServerInfo* s = run->shared.server_at(*leader);
        auto n = run->nodes[s->id - 1].lock();
        if (!n) continue;
        // 0 lets the library pick the most up-to-date voter.
        const auto to = static_cast<raft_id>(draw(world, static_cast<std::int64_t>(run->nodes.size()) + 1));
        // The call runs on the node's own driver, so the node is alive then: a raw pointer
        // (a shared one would keep a crashed node's memory alive in its own queue).
        n->post([n = n.get(), to] {
          auto* req = static_cast<struct raft_transfer*>(raft_calloc(1, sizeof(struct raft_transfer)));
          SIMBUS_ASSERT(req != nullptr);
          if (raft_transfer(n->library(), req, to == n->library()->id ? 0 : to, [](struct raft_transfer* t) { raft_free(t); }) != 0) {
            raft_free(req);
          }
        });
      }
    });
  }

  if (v.voters > 0) {
    world.spawn(sim::kControlNode, "membership", [run, &world, fault_ms] { membership_main(*run, world, fault_ms); });
  }

  scenarios::NemesisSetup ns;
  ns.kinds = v.nemesis;
  ns.fault_period_us = fault_ms * 1000;
  ns.quiet_period_us = 1'000'000;
  ns.brokers = run->server_nodes;
  ns.leader_of = [run] { return leader_of(*run); };
  ns.workload_done = [run] { return run->clients_running == 0 && run->probe_done; };
  ns.vote_of = [run](sim::NodeIndex node) -> std::optional<scenarios::NemesisSetup::Vote> {
    const ServerInfo* s = run->shared.server_at(node);
    auto n = s ? node_at(*run, s->id - 1) : nullptr;
    if (!n) return std::nullopt;
    return scenarios::NemesisSetup::Vote{n->term(), n->voted_for(), n->leader()};
  };
  ns.no_vote = 0;
  if (v.append_error_per_million != 0 || v.snapshot_error_per_million != 0) {
    // Disk errors only while the faults last: the liveness promise is for a healed world.
    run->shared.disk_faults_on = true;
    world.spawn(sim::kControlNode, "disk-faults", [run, &world] {
      while (run->nemesis.heal_time_us < 0) world.sleep_for_us(50'000);
      run->shared.disk_faults_on = false;
      // An io that reported a write error refuses every later write that depends on it
      // (as libuv's raft io does): the operator's answer is a restart, which the healed
      // world owes the server before liveness is judged.
      const std::set<std::uint64_t> failed = std::move(run->shared.disk_failed);
      run->shared.disk_failed.clear();
      for (std::uint64_t id : failed) {
        const sim::NodeIndex node = run->shared.server(id)->node;
        if (!world.node_up(node)) continue;
        world.crash(node);
        world.restart(node);
        run->disk_restarts += 1;
      }
    });
  }
  scenarios::start_nemesis(ctx, ns, &run->nemesis);

  // `simbus check --model register` reads it back (the checkers own the format).
  ctx.history_jsonl = [run] {
    std::ostringstream out;
    checkers::write_jsonl(run->history, out, "register");
    return out.str();
  };
  ctx.at_end([&ctx, run] {
    ctx.report(fmt::format("operations: {} ok, {} unknown; faults: {}; disk errors: {} (restarts {}); "
                           "leaders: {}; membership changes asked: {}",
                           run->ok, run->unknown, run->nemesis.faults, run->shared.disk_errors,
                           run->disk_restarts, run->shared.checks.leaders(), run->membership_changes));
    for (const RaftCheckFailure& t : run->shared.checks.tolerated()) {
      ctx.report(fmt::format("tolerated {}: {}", t.check, t.message));
    }
    if (run->probe_latency_us >= 0) ctx.report(fmt::format("liveness: a write committed {} us after the probe began", run->probe_latency_us));
    if (ctx.world.failed()) return;
    for (const std::string& line : run->liveness_detail) ctx.report("at the liveness failure: " + line);
    if (!run->liveness_failure.empty()) return ctx.fail("liveness", run->liveness_failure);
    if (!run->probe_done) return ctx.fail("liveness", "the post-heal write never completed before the run ended");
    const auto safety = checkers::check_raft_safety(run->samples);
    if (!safety.ok()) return ctx.fail(safety.violations.front().checker, safety.violations.front().message);
    const auto model = checkers::make_register_model(checkers::nil_value());
    checkers::LinearizabilityLimits limits;
    const auto lin = checkers::check_linearizable(run->history, *model, limits);
    if (lin.verdict == checkers::Verdict::not_linearizable) return ctx.fail("linearizability", lin.explanation);
    if (lin.verdict == checkers::Verdict::unknown) ctx.report("linearizability: unknown (" + lin.unknown_reason + ")");
  });
}

}  // namespace

void register_scenarios() {
  static bool done = false;
  if (done) return;
  done = true;
  std::vector<scenarios::SuiteEntry> smoke, ci, nightly;
  for (const Variant& v : kVariants) {
    scenarios::Scenario s;
    s.name = v.name;
    s.description = v.description;
    s.params = {
        {"nodes", v.nodes, 1, 7, "servers in the cluster"},
        {"clients", 3, 1, 16, "KV clients, one operation at a time each"},
        {"ops", 30, 1, 1'000, "operations per client"},
        {"keys", 2, 1, 64, "registers the clients share"},
        {"fault_ms", v.nemesis == 0 ? 0 : 4'000, 0, 60'000, "how long the nemesis injects faults"},
        {"snapshot_threshold", v.snapshot_threshold, 2, 1'000'000, "entries between the library's snapshots"},
        {"tolerate", 0, 0, 7,
         "checks reported but not failed, to see what a violation leads to: 1 raft-leader-append-only, "
         "2 raft-log-matching, 4 libraft-io-contract"},
    };
    s.setup = [&v](scenarios::ScenarioContext& ctx) { setup_run(ctx, v); };
    s.time_us_max = 120'000'000;
    s.determinism_seeds = 5;
    scenarios::register_scenario(std::move(s));
    // Library bugs that every run of a scenario would otherwise stop at (RESULTS.md):
    // the suites name them as must-find checks, or step around the one path that
    // crashes the library, so that a red suite means something new.
    const std::string name = v.name;
    if (name == "libraft-disk-faults") {
      // 0.15.0 truncates a leader's log when its append fails (RESULTS.md, finding 1).
      smoke.push_back({v.name, {}, 3, "raft-leader-append-only"});
      ci.push_back({v.name, {}, v.ci_seeds, "raft-leader-append-only"});
      nightly.push_back({v.name, {}, 2'000, "raft-leader-append-only"});
      continue;
    }
    if (name == "libraft-membership") {
      // Rolling back a configuration whose entry was compacted crashes 0.15.0 (finding 5):
      // the suites keep the whole log; RESULTS.md's sweep runs the compacting variant.
      const std::vector<std::pair<std::string, std::string>> whole_log = {{"snapshot_threshold", "1000000"}};
      smoke.push_back({v.name, whole_log, 2, ""});
      ci.push_back({v.name, whole_log, v.ci_seeds, ""});
      // Its 2,000 nightly seeds include 1321, where 0.15.0 loses a committed entry (finding 7:
      // a follower's heartbeat answer vouches for its unverified last index): expected there.
      nightly.push_back({v.name, whole_log, 2'000, "raft-leader-completeness"});
      continue;
    }
    smoke.push_back({v.name, {}, 2, ""});
    ci.push_back({v.name, {}, v.ci_seeds, ""});
    // An append result sent to server 0 (finding 8) is reported, not failed, so the
    // nightly goes on to show whether it leads anywhere worse.
    nightly.push_back({v.name, name == "libraft-mixed" ? std::vector<std::pair<std::string, std::string>>{{"tolerate", "4"}}
                                                       : std::vector<std::pair<std::string, std::string>>{},
                       2'000, ""});
  }
  scenarios::add_suite_entries("smoke", smoke);
  scenarios::add_suite_entries("ci", ci);
  scenarios::add_suite_entries("nightly", nightly);
}

}  // namespace simbus::targets::libraft
