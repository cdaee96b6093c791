// A local 3-node simbus-broker cluster for the end-to-end tests: free loopback ports
// (all nodes start over on new ports when one finds its port taken, exit 3), a data
// directory per node, kill (SIGKILL) and restart from the data directory, and the leader
// read from the nodes' logs ("node N is the leader of term T").
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const exitCannotListen = 3;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Cluster {
  constructor({ broker, dir, nodes = 3, app = { id: '1', key: 'e2e-key', secret: 'e2e-secret' }, extraArgs = [] }) {
    this.broker = broker;
    this.dir = dir;
    this.nodes = nodes;
    this.app = app;
    this.extraArgs = extraArgs;
    this.procs = {};
    this.peerPorts = {};
    this.gatewayPorts = {};
  }

  logPath(n) { return path.join(this.dir, `node${n}.log`); }

  async start() {
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true });
    for (let attempt = 0; attempt < 5; ++attempt) {
      for (let n = 1; n <= this.nodes; ++n) {
        this.peerPorts[n] = await freePort();
        this.gatewayPorts[n] = await freePort();
      }
      const started = await Promise.all([...Array(this.nodes).keys()].map((i) => this.launch(i + 1)));
      if (started.every((ok) => ok)) {
        await this.waitForLeader(15000);
        return;
      }
      this.stopAll('SIGKILL');
      await sleep(100);
    }
    throw new Error('cluster: could not start 3 nodes on free ports in 5 attempts');
  }

  // Resolves true once the node's gateway accepts connections, false if it exited 3.
  launch(n) {
    const args = ['--id', String(n), '--listen', `127.0.0.1:${this.peerPorts[n]}`,
      '--data-dir', path.join(this.dir, `node${n}`), '--peer-secret', 'e2e-peer-secret',
      '--app-id', this.app.id, '--app-key', this.app.key, '--app-secret', this.app.secret,
      '--gateway', `127.0.0.1:${this.gatewayPorts[n]}`,
      '--election-ms-min', '300', '--election-ms-max', '600', '--heartbeat-ms', '50', ...this.extraArgs];
    for (let m = 1; m <= this.nodes; ++m) {
      if (m !== n) args.push('--peer', `${m}=127.0.0.1:${this.peerPorts[m]}`);
    }
    fs.appendFileSync(this.logPath(n), `--- start ${new Date().toISOString()}\n`);
    const log = fs.openSync(this.logPath(n), 'a');
    const proc = spawn(this.broker, args, { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.procs[n] = proc;
    return new Promise((resolve, reject) => {
      let done = false;
      proc.once('exit', (code) => {
        if (this.procs[n] === proc) delete this.procs[n];
        if (done) return;
        done = true;
        if (code === exitCannotListen) resolve(false);
        else reject(new Error(`node ${n} exited with ${code} at start; see ${this.logPath(n)}`));
      });
      const deadline = Date.now() + 10000;
      const poll = () => {
        if (done) return;
        if (Date.now() > deadline) {
          done = true;
          reject(new Error(`node ${n}: gateway not up in 10 s; see ${this.logPath(n)}`));
          return;
        }
        const text = fs.readFileSync(this.logPath(n), 'utf8');
        if (text.slice(text.lastIndexOf('--- start')).includes('gateway listening on')) {
          done = true;
          resolve(true);
          return;
        }
        setTimeout(poll, 50);
      };
      poll();
    });
  }

  // The leader of the highest term any running node logged since its last start.
  leader() {
    let best = null;
    for (let n = 1; n <= this.nodes; ++n) {
      if (!this.procs[n]) continue;
      const text = fs.readFileSync(this.logPath(n), 'utf8');
      for (const m of text.slice(text.lastIndexOf('--- start')).matchAll(/node (\d+) is the leader of term (\d+)/g)) {
        const term = Number(m[2]);
        if (!best || term > best.term) best = { node: Number(m[1]), term };
      }
    }
    return best && this.procs[best.node] ? best.node : null;
  }

  async waitForLeader(timeoutMs, notNode = null) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const l = this.leader();
      if (l !== null && l !== notNode) return l;
      await sleep(50);
    }
    throw new Error('cluster: no leader elected in time');
  }

  kill(n) {
    const proc = this.procs[n];
    if (!proc) return Promise.resolve();
    return new Promise((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  }

  async restart(n) {
    await this.kill(n);
    if (!(await this.launch(n))) throw new Error(`node ${n}: its port was taken on restart`);
  }

  stopAll(signal = 'SIGTERM') {
    const exits = [];
    for (const [n, proc] of Object.entries(this.procs)) {
      exits.push(new Promise((resolve) => {
        const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
        proc.once('exit', (code, sig) => { clearTimeout(timer); resolve({ node: Number(n), code, signal: sig }); });
      }));
      proc.kill(signal);
    }
    return Promise.all(exits);
  }
}

module.exports = { Cluster, sleep };
