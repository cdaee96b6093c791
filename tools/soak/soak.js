#!/usr/bin/env node
// A bounded load and failover soak of the Pusher gateway: a 3-node cluster started here
// (tests/e2e/cluster.js), N pusher-js connections spread over the nodes, all subscribed to
// one channel, and M events/s published for T seconds through the HTTP API of the nodes
// that are not the leader at the start (pusher 5), the leader's process killed (SIGKILL)
// at --kill-at-s. Reported: events acknowledged and delivered, acknowledged events lost to
// connections that stayed up on a surviving node (must be 0), latency from the start of
// the publish call to the arrival at a connection (p50/p99/max), a markdown table.
//   node tools/soak/soak.js --broker build/bin/simbus-broker [--connections 100]
//     [--rate 200] [--seconds 30] [--kill-at-s 10 | --no-kill] [--dir /tmp/simbus-soak]
// Needs the e2e suite's npm packages: NODE_PATH=build/e2e/node_modules (tests/e2e/run.sh
// installs them) or npm ci in tests/e2e. Exits 1 when an acknowledged event was lost.
'use strict';
const path = require('node:path');
const os = require('node:os');
const { Cluster, sleep } = require('../../tests/e2e/cluster');
const { server, client, connected, subscribed } = require('../../tests/e2e/helpers');

const limits = { connections: [1, 2000], rate: [1, 5000], seconds: [1, 600], 'kill-at-s': [0, 600], inflight: [1, 1024] };

function parseArgs(argv) {
  const o = { broker: null, connections: 100, rate: 200, seconds: 30, 'kill-at-s': 10, kill: true, inflight: 64,
    dir: path.join(os.tmpdir(), 'simbus-soak') };
  for (let i = 0; i < argv.length; ++i) {
    const flag = argv[i];
    const name = flag.replace(/^--/, '');
    if (flag === '--no-kill') { o.kill = false; continue; }
    if (!flag.startsWith('--') || !(name in o) || i + 1 >= argv.length) usage(`unknown flag or missing value: '${flag}'`);
    const value = argv[++i];
    if (name in limits) {
      const n = Number(value);
      const [lo, hi] = limits[name];
      if (!Number.isInteger(n) || n < lo || n > hi) usage(`${flag} must be an integer in ${lo}..${hi}, got '${value}'`);
      o[name] = n;
    } else {
      o[name] = value;
    }
  }
  if (!o.broker) usage('--broker (the simbus-broker binary) is required');
  if (o.kill && o['kill-at-s'] >= o.seconds) usage('--kill-at-s must be below --seconds');
  return o;
}

function usage(message) {
  console.error(`soak: ${message}`);
  process.exit(2);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const cluster = new Cluster({ broker: path.resolve(o.broker), dir: o.dir });
  await cluster.start();
  try {
    const leader = await cluster.waitForLeader(10000);
    const publishNodes = [1, 2, 3].filter((n) => n !== leader);
    const conns = [];
    for (let i = 0; i < o.connections; ++i) {
      const node = (i % 3) + 1;
      const p = client(cluster, node);
      const c = { node, p, up: true, got: new Map() };
      p.connection.bind('state_change', (s) => { if (s.current !== 'connected') c.up = false; });
      conns.push(c);
    }
    await Promise.all(conns.map((c) => connected(c.p)));
    await Promise.all(conns.map((c) => subscribed(c.p, 'soak').then(({ channel }) => {
      channel.bind('tick', (d) => { if (!c.got.has(d.id)) c.got.set(d.id, Date.now() - d.t); });
    })));
    console.error(`soak: ${o.connections} connections up; leader ${leader}; publishing ${o.rate}/s for ${o.seconds} s via nodes ${publishNodes}`);

    const servers = publishNodes.map((n) => server(cluster, n));
    const acked = [];
    let failed = 0;
    let skipped = 0;  // ticks with inflight publishes at the bound
    let inflight = 0;
    let seq = 0;
    const startMs = Date.now();
    let killedMs = null;
    const publishOne = async () => {
      const id = seq++;
      const s = servers[id % servers.length];
      inflight++;
      try {
        await s.trigger('soak', 'tick', { id, t: Date.now() });
        acked.push(id);
      } catch (e) {
        failed++;
      } finally {
        inflight--;
      }
    };
    const pending = new Set();
    const intervalMs = 1000 / o.rate;
    for (let k = 0; Date.now() - startMs < o.seconds * 1000; ++k) {
      const due = startMs + k * intervalMs;
      if (due > Date.now()) await sleep(due - Date.now());
      if (o.kill && killedMs === null && Date.now() - startMs >= o['kill-at-s'] * 1000) {
        killedMs = Date.now() - startMs;
        cluster.kill(leader);
        console.error(`soak: killed node ${leader} at ${(killedMs / 1000).toFixed(1)} s`);
      }
      if (inflight >= o.inflight) { skipped++; continue; }
      const p = publishOne();
      pending.add(p);
      p.finally(() => pending.delete(p));
    }
    await Promise.all(pending);
    await sleep(3000);  // deliveries in flight

    const kept = conns.filter((c) => c.up && !(o.kill && c.node === leader));
    let lost = 0;
    let delivered = 0;
    const latencies = [];
    for (const c of kept) {
      for (const id of acked) {
        const ms = c.got.get(id);
        if (ms === undefined) lost++;
        else { delivered++; latencies.push(ms); }
      }
    }
    latencies.sort((a, b) => a - b);
    const newLeader = cluster.leader();
    const row = {
      connections: o.connections, rate: o.rate, seconds: o.seconds,
      kill: o.kill ? `node ${leader} at ${(killedMs / 1000).toFixed(1)} s (new leader ${newLeader})` : 'none',
      attempted: seq, acked: acked.length, failed, skipped,
      kept: kept.length, expected: acked.length * kept.length, delivered, lost,
      p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1),
    };
    console.log('| connections | events/s | s | kill | published | acknowledged | failed | deliveries expected (acked x kept connections) | delivered | lost | p50 ms | p99 ms | max ms |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    console.log(`| ${row.connections} | ${row.rate} | ${row.seconds} | ${row.kill} | ${row.attempted} | ${row.acked} | ${row.failed} | ${row.expected} (${row.acked} x ${row.kept}) | ${row.delivered} | ${row.lost} | ${row.p50} | ${row.p99} | ${row.max} |`);
    if (skipped > 0) console.error(`soak: ${skipped} ticks skipped with ${o.inflight} publishes in flight (the offered rate was not reached)`);
    for (const c of conns) c.p.disconnect();
    await cluster.stopAll();
    process.exit(lost === 0 ? 0 : 1);
  } catch (e) {
    await cluster.stopAll('SIGKILL');
    throw e;
  }
}

main().catch((e) => { console.error(`soak: ${e.stack || e}`); process.exit(1); });
