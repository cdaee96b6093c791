// The Pusher gateway end to end: a 3-node simbus-broker cluster started here, unmodified
// pusher-js (8) clients and the pusher (5) server library. SIMBUS_BROKER names the binary.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const WebSocket = require('ws');
const { Cluster, sleep } = require('./cluster');
const { server, client, waitFor, connected, subscribed, events } = require('./helpers');

const broker = process.env.SIMBUS_BROKER;
if (!broker) throw new Error('SIMBUS_BROKER (the simbus-broker binary) is not set');

// Short activity/pong timeouts so the server's ping and the 4201 close happen within a test.
const cluster = new Cluster({
  broker, dir: path.join(process.env.SIMBUS_E2E_DIR || os.tmpdir(), `simbus-e2e-${process.pid}`),
  extraArgs: ['--activity-timeout-s', '2', '--pong-timeout-s', '1'],
});
const clients = [];
const open = (node, options) => { const p = client(cluster, node, options); clients.push(p); return p; };

test.before(async () => { await cluster.start(); });
test.after(async () => {
  for (const p of clients) p.disconnect();
  const exits = await cluster.stopAll();
  for (const e of exits) assert.equal(e.code, 0, `node ${e.node} stopped with ${e.code}/${e.signal}`);
});

test('connect: connection_established with a socket id and the activity timeout', async () => {
  const p = open(1);
  await connected(p);
  assert.match(p.connection.socket_id, /^\d+\.\d+$/);
  const raw = new WebSocket(`ws://127.0.0.1:${cluster.gatewayPorts[2]}/app/${cluster.app.key}?protocol=7`);
  const first = await new Promise((resolve, reject) => { raw.once('message', (m) => resolve(JSON.parse(m))); raw.once('error', reject); });
  raw.close();
  assert.equal(first.event, 'pusher:connection_established');
  const data = JSON.parse(first.data);
  assert.match(data.socket_id, /^\d+\.\d+$/);
  assert.equal(data.activity_timeout, 2);
});

test('an unknown app key is refused with pusher:error 4001 and close 4001', async () => {
  const raw = new WebSocket(`ws://127.0.0.1:${cluster.gatewayPorts[1]}/app/no-such-key?protocol=7`);
  const frames = [];
  raw.on('message', (m) => frames.push(JSON.parse(m)));
  const code = await new Promise((resolve) => raw.once('close', (c) => resolve(c)));
  assert.equal(code, 4001);
  assert.equal(frames[0].event, 'pusher:error');
  assert.equal(frames[0].data.code, 4001);
  // pusher-js reports it as an error and stops retrying.
  const p = open(1, { key: 'no-such-key' });
  const errors = [];
  p.connection.bind('error', (e) => errors.push(e));
  await waitFor('pusher-js error 4001', () => errors.some((e) => e.error && e.error.data && e.error.data.code === 4001));
  await waitFor('pusher-js gives up (refused: disconnected)', () => p.connection.state === 'disconnected');
  p.disconnect();
});

test('ping/pong: the server answers pusher:ping, pings idle clients and closes 4201 without a pong', async () => {
  const raw = new WebSocket(`ws://127.0.0.1:${cluster.gatewayPorts[3]}/app/${cluster.app.key}?protocol=7`);
  const frames = [];
  raw.on('message', (m) => frames.push(JSON.parse(m)));
  await waitFor('established', () => frames.length >= 1);
  raw.send(JSON.stringify({ event: 'pusher:ping', data: {} }));
  await waitFor('pong', () => frames.some((f) => f.event === 'pusher:pong'));
  // Silent from now on: pinged after 2 s, closed 1 s later.
  const code = await new Promise((resolve) => raw.once('close', (c) => resolve(c)));
  assert.equal(code, 4201);
  assert.ok(frames.some((f) => f.event === 'pusher:ping'), 'the server pinged before closing');
  // pusher-js answers the server's pings: still connected after several activity timeouts.
  const p = open(3);
  await connected(p);
  await sleep(5000);
  assert.equal(p.connection.state, 'connected');
});

test('pusher:signin: a valid user signature is answered signin_success, a bad one closes 4009', async () => {
  for (const good of [true, false]) {
    const raw = new WebSocket(`ws://127.0.0.1:${cluster.gatewayPorts[2]}/app/${cluster.app.key}?protocol=7`);
    const frames = [];
    raw.on('message', (m) => frames.push(JSON.parse(m)));
    const closed = new Promise((resolve) => raw.once('close', (c) => resolve(c)));
    await waitFor('established', () => frames.length >= 1);
    const socketId = JSON.parse(frames[0].data).socket_id;
    const userData = JSON.stringify({ id: 'dave' });
    const secret = good ? cluster.app.secret : 'wrong';
    const signature = crypto.createHmac('sha256', secret).update(`${socketId}::user::${userData}`).digest('hex');
    raw.send(JSON.stringify({ event: 'pusher:signin', data: { auth: `${cluster.app.key}:${signature}`, user_data: userData } }));
    if (good) {
      const ok = await waitFor('signin_success', () => frames.find((f) => f.event === 'pusher:signin_success'));
      assert.equal(ok.data.user_data, userData);
      raw.close();
    } else {
      assert.equal(await closed, 4009);
      assert.ok(frames.some((f) => f.event === 'pusher:error' && f.data.code === 4009));
    }
  }
});

test('public, private and presence channels deliver REST-triggered events', async () => {
  const p = open(2, { user: { user_id: 'alice', user_info: { name: 'Alice' } } });
  await connected(p);
  await subscribed(p, 'kinds-public');
  await subscribed(p, 'private-kinds');
  const { data } = await subscribed(p, 'presence-kinds');
  assert.equal(data.count, 1);
  assert.deepEqual(data.members, { alice: { name: 'Alice' } });
  assert.equal(data.me.id, 'alice');
  const s = server(cluster, 1);
  for (const name of ['kinds-public', 'private-kinds', 'presence-kinds']) {
    const got = [];
    p.channel(name).bind('hello', (d) => got.push(d));
    const res = await s.trigger(name, 'hello', { on: name });
    assert.equal(res.status, 200);
    await waitFor(`hello on ${name}`, () => got.length === 1);
    assert.deepEqual(got[0], { on: name });
  }
});

test('subscription auth: a bad signature is refused with subscription_error 401; a good one succeeds', async () => {
  const wrong = server(cluster, 1, { secret: 'not-the-secret' });
  const p = open(1, { signer: wrong, user: { user_id: 'mallory' } });
  await connected(p);
  for (const name of ['private-auth', 'presence-auth']) {
    const channel = p.subscribe(name);
    const error = await new Promise((resolve) => channel.bind('pusher:subscription_error', resolve));
    assert.equal(error.status, 401);
    assert.equal(error.type, 'AuthError');
  }
  // Without any auth at all (raw): refused too.
  const raw = new WebSocket(`ws://127.0.0.1:${cluster.gatewayPorts[1]}/app/${cluster.app.key}?protocol=7`);
  const frames = [];
  raw.on('message', (m) => frames.push(JSON.parse(m)));
  await waitFor('established', () => frames.length >= 1);
  raw.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'private-auth' } }));
  await waitFor('subscription_error', () => frames.find((f) => f.event === 'pusher:subscription_error'));
  raw.close();
  const good = open(1);
  await connected(good);
  await subscribed(good, 'private-auth');
});

test('client events reach the other subscribers, never the sender; user_id on presence; refused on public', async () => {
  const a = open(1, { user: { user_id: 'ann', user_info: {} } });
  const b = open(2, { user: { user_id: 'bob', user_info: {} } });
  await Promise.all([connected(a), connected(b)]);
  for (const p of [a, b]) {
    await subscribed(p, 'private-chat');
    await subscribed(p, 'presence-chat');
  }
  const bPrivate = [];
  const bPresence = [];
  b.channel('private-chat').bind('client-typing', (d, meta) => bPrivate.push({ d, meta }));
  b.channel('presence-chat').bind('client-typing', (d, meta) => bPresence.push({ d, meta }));
  assert.equal(a.channel('private-chat').trigger('client-typing', { n: 1 }), true);
  assert.equal(a.channel('presence-chat').trigger('client-typing', { n: 2 }), true);
  await waitFor('client events at bob', () => bPrivate.length === 1 && bPresence.length === 1);
  assert.deepEqual(bPrivate[0].d, { n: 1 });
  assert.deepEqual(bPresence[0].d, { n: 2 });
  assert.equal(bPresence[0].meta.user_id, 'ann');
  // A REST event after them marks the end: whatever a would have been echoed came before it.
  await server(cluster, 3).trigger(['private-chat', 'presence-chat'], 'marker', {});
  await waitFor('marker at ann', () => events(a, 'presence-chat', 'marker').length === 1 && events(a, 'private-chat', 'marker').length === 1);
  assert.equal(events(a, 'private-chat', 'client-typing').length, 0, 'sender got its own client event');
  assert.equal(events(a, 'presence-chat', 'client-typing').length, 0, 'sender got its own client event');
  // On a public channel: pusher:error, nothing delivered.
  await subscribed(a, 'public-chat');
  await subscribed(b, 'public-chat');
  const errors = [];
  a.connection.bind('error', (e) => errors.push(e));
  a.send_event('client-typing', { n: 3 }, 'public-chat');
  await waitFor('pusher:error for a public client event', () => errors.some((e) => e.data && /private and presence/.test(e.data.message)));
  assert.equal(events(b, 'public-chat', 'client-typing').length, 0);
});

test('presence: two connections of one user are one member, added once and removed with the last', async () => {
  const observer = open(3, { user: { user_id: 'watcher', user_info: {} } });
  await connected(observer);
  await subscribed(observer, 'presence-room');
  const added = [];
  const removed = [];
  observer.channel('presence-room').bind('pusher:member_added', (m) => added.push(m));
  observer.channel('presence-room').bind('pusher:member_removed', (m) => removed.push(m));
  const first = client(cluster, 1, { user: { user_id: 'carol', user_info: { n: 1 } } });
  const second = client(cluster, 2, { user: { user_id: 'carol', user_info: { n: 1 } } });
  await Promise.all([connected(first), connected(second)]);
  await subscribed(first, 'presence-room');
  const { data } = await subscribed(second, 'presence-room');
  assert.equal(data.count, 2);  // watcher and carol
  await waitFor('member_added carol', () => added.length === 1);
  assert.equal(added[0].id, 'carol');
  assert.deepEqual(added[0].info, { n: 1 });
  first.disconnect();
  // The other connection stays: carol is still a member.
  const users = server(cluster, 3);
  await sleep(1000);
  assert.equal(removed.length, 0, 'member_removed while the user still had a connection');
  let res = await users.get({ path: '/channels/presence-room/users' });
  assert.deepEqual((await res.json()).users.map((u) => u.id).sort(), ['carol', 'watcher']);
  second.disconnect();
  await waitFor('member_removed carol', () => removed.length === 1);
  assert.equal(removed[0].id, 'carol');
  res = await users.get({ path: '/channels/presence-room/users' });
  assert.deepEqual((await res.json()).users.map((u) => u.id), ['watcher']);
});

test('REST trigger: socket_id excludes that connection; several channels; batch events', async () => {
  const a = open(1);
  const b = open(2);
  await Promise.all([connected(a), connected(b)]);
  for (const p of [a, b]) {
    await subscribed(p, 'excl-1');
    await subscribed(p, 'excl-2');
  }
  const s = server(cluster, 2);
  let res = await s.trigger(['excl-1', 'excl-2'], 'news', { x: 1 }, { socket_id: a.connection.socket_id });
  assert.equal(res.status, 200);
  res = await s.triggerBatch([{ channel: 'excl-1', name: 'batched', data: '1' }, { channel: 'excl-2', name: 'batched', data: '2' }]);
  assert.equal(res.status, 200);
  await waitFor('news and batched at b', () => events(b, 'excl-1', 'news').length === 1 && events(b, 'excl-2', 'news').length === 1 &&
    events(b, 'excl-1', 'batched').length === 1 && events(b, 'excl-2', 'batched').length === 1);
  await waitFor('batched at a', () => events(a, 'excl-1', 'batched').length === 1 && events(a, 'excl-2', 'batched').length === 1);
  assert.equal(events(a, 'excl-1', 'news').length + events(a, 'excl-2', 'news').length, 0, 'the excluded socket got the event');
});

test('REST limits: data over 10 KB is 413, over 100 channels and bad names are 400', async () => {
  const s = server(cluster, 1);
  await assert.rejects(s.trigger('limits', 'big', 'x'.repeat(10 * 1024 + 1)), (e) => e.status === 413);
  const channels = [...Array(101).keys()].map((i) => `c${i}`);
  // pusher 5 refuses more than 100 channels itself: post the body directly.
  await assert.rejects(s.post({ path: '/events', body: { name: 'many', data: '{}', channels } }), (e) => e.status === 400);
  // pusher 5 checks names itself too: post the body directly.
  await assert.rejects(s.post({ path: '/events', body: { name: 'e', data: '{}', channels: ['bad name!'] } }), (e) => e.status === 400);
  await assert.rejects(s.post({ path: '/events', body: { name: 'e', data: '{}', channels: [] } }), (e) => e.status === 400);
  await assert.rejects(s.post({ path: '/batch_events', body: { batch: [...Array(11).keys()].map((k) => ({ channel: 'b', name: 'e', data: String(k) })) } }),
    (e) => e.status === 400);
  const res = await s.trigger('limits', 'ok', 'x'.repeat(10 * 1024 - 2));
  assert.equal(res.status, 200);
});

test('channel queries: list with prefix and user_count, one channel, its users', async () => {
  const u1 = open(2, { user: { user_id: 'q1', user_info: {} } });
  const u2 = open(2, { user: { user_id: 'q2', user_info: {} } });
  await Promise.all([connected(u1), connected(u2)]);
  await subscribed(u1, 'presence-query');
  await subscribed(u2, 'presence-query');
  await subscribed(u1, 'query-public');
  await subscribed(u2, 'query-public');
  // The channel list is node 2's replica, where the subscriptions were applied.
  const s = server(cluster, 2);
  let res = await s.get({ path: '/channels', params: { filter_by_prefix: 'presence-query', info: 'user_count' } });
  assert.deepEqual(await res.json(), { channels: { 'presence-query': { user_count: 2 } } });
  res = await s.get({ path: '/channels', params: { filter_by_prefix: 'query-' } });
  assert.deepEqual(await res.json(), { channels: { 'query-public': {} } });
  res = await server(cluster, 3).get({ path: '/channels/query-public', params: { info: 'subscription_count' } });
  assert.deepEqual(await res.json(), { occupied: true, subscription_count: 2 });
  res = await server(cluster, 1).get({ path: '/channels/presence-query', params: { info: 'user_count' } });
  assert.deepEqual(await res.json(), { occupied: true, user_count: 2 });
  res = await server(cluster, 1).get({ path: '/channels/never-used' });
  assert.deepEqual(await res.json(), { occupied: false });
  res = await server(cluster, 1).get({ path: '/channels/presence-query/users' });
  assert.deepEqual((await res.json()).users.map((u) => u.id).sort(), ['q1', 'q2']);
  await assert.rejects(s.get({ path: '/channels', params: { info: 'user_count' } }), (e) => e.status === 400);
  await assert.rejects(s.get({ path: '/channels/query-public/users' }), (e) => e.status === 400);
});

test('HTTP API signatures: a wrong secret, a stale timestamp, a changed body or a wrong key are 401', async () => {
  await assert.rejects(server(cluster, 1, { secret: 'wrong' }).trigger('sig', 'e', {}), (e) => e.status === 401);
  await assert.rejects(server(cluster, 1, { key: 'wrong-key' }).get({ path: '/channels' }), (e) => e.status === 401);
  const port = cluster.gatewayPorts[1];
  const sign = (method, p, params) => {
    const query = Object.keys(params).sort().map((k) => `${k}=${params[k]}`).join('&');
    const signature = crypto.createHmac('sha256', cluster.app.secret).update(`${method}\n${p}\n${query}`).digest('hex');
    return `${query}&auth_signature=${signature}`;
  };
  const p = `/apps/${cluster.app.id}/events`;
  const body = JSON.stringify({ name: 'e', channel: 'sig', data: '{}' });
  const md5 = crypto.createHash('md5').update(body).digest('hex');
  const now = Math.floor(Date.now() / 1000);
  const post = (query, b = body) => fetch(`http://127.0.0.1:${port}${p}?${query}`, { method: 'POST', body: b, headers: { 'content-type': 'application/json' } });
  let res = await post(sign('POST', p, { auth_key: cluster.app.key, auth_timestamp: now, auth_version: '1.0', body_md5: md5 }));
  assert.equal(res.status, 200, await res.text());
  res = await post(sign('POST', p, { auth_key: cluster.app.key, auth_timestamp: now - 601, auth_version: '1.0', body_md5: md5 }));
  assert.equal(res.status, 401);
  res = await post(sign('POST', p, { auth_key: cluster.app.key, auth_timestamp: now, auth_version: '1.0', body_md5: md5 }), body.replace('sig', 'gis'));
  assert.equal(res.status, 401);
  res = await post(sign('POST', p, { auth_key: cluster.app.key, auth_timestamp: now, auth_version: '2.0', body_md5: md5 }));
  assert.equal(res.status, 401);
  res = await fetch(`http://127.0.0.1:${port}/apps/${cluster.app.id}/channels`);
  assert.equal(res.status, 401);
});

test('failover: kill the leader while clients publish and subscribe; no acknowledged event is lost', { timeout: 120000 }, async () => {
  const leader = await cluster.waitForLeader(10000);
  const survivors = [1, 2, 3].filter((n) => n !== leader);
  const subscribers = [];
  for (const n of [1, 2, 3]) {
    const p = open(n);
    await connected(p);
    await subscribed(p, 'failover');
    const entry = { node: n, p, disconnected: false };
    p.connection.bind('state_change', (st) => { if (st.current !== 'connected') entry.disconnected = true; });
    subscribers.push(entry);
  }
  const acked = [];
  const started = {};
  const failed = [];
  let stop = false;
  let i = 0;
  // Two publishers, one per surviving node's gateway: requests start there and follow the
  // cluster to whichever node leads.
  const publishers = survivors.map((n) => (async () => {
    const s = server(cluster, n);
    while (!stop) {
      const id = `${n}-${i++}`;
      const startedMs = Date.now();
      try {
        await s.trigger('failover', 'tick', { id });
        acked.push(id);
        started[id] = startedMs;
      } catch (e) {
        failed.push({ id, error: String(e) });
      }
      await sleep(20);
    }
  })());
  await sleep(1000);
  const ackedBeforeKill = acked.length;
  await cluster.kill(leader);
  // A client subscribing during the election, on a surviving node: its subscription is
  // committed by the next leader, and it gets every event acknowledged after that.
  const late = open(survivors[0]);
  const lateSubscribed = connected(late).then(() => subscribed(late, 'failover')).then(() => Date.now());
  const newLeader = await cluster.waitForLeader(15000, leader);
  assert.ok(survivors.includes(newLeader));
  const ackedAtElection = acked.length;
  await sleep(2000);
  stop = true;
  await Promise.all(publishers);
  assert.ok(ackedBeforeKill > 0, 'nothing acknowledged before the kill');
  assert.ok(acked.length > ackedAtElection, 'nothing acknowledged after the new leader was elected');
  // Every acknowledged event reached each subscriber that stayed connected to a surviving node.
  for (const s of subscribers.filter((x) => x.node !== leader)) {
    assert.equal(s.disconnected, false, `the subscriber on node ${s.node} lost its connection`);
    await waitFor(`all ${acked.length} acked events at node ${s.node}`, () => {
      const got = new Set(events(s.p, 'failover', 'tick').map((m) => m.data.id));
      return acked.every((id) => got.has(id));
    }, 15000);
  }
  const lateSince = await lateSubscribed;
  const afterLate = acked.filter((id) => started[id] > lateSince);
  assert.ok(afterLate.length > 0, 'nothing published after the late subscription');
  await waitFor(`${afterLate.length} events at the late subscriber`, () => {
    const got = new Set(events(late, 'failover', 'tick').map((m) => m.data.id));
    return afterLate.every((id) => got.has(id));
  }, 15000);
  // The killed node's client reconnects once it is back, and is served again.
  await cluster.restart(leader);
  const back = subscribers.find((x) => x.node === leader).p;
  await waitFor('reconnect to the restarted node', () => back.connection.state === 'connected', 30000);
  await waitFor('resubscribed after reconnect', () => back.channel('failover').subscribed, 10000);
  await server(cluster, leader).trigger('failover', 'after', {});
  await waitFor('an event after the restart', () => events(back, 'failover', 'after').length === 1);
  test.diagnostic?.(`failover: ${acked.length} acknowledged, ${failed.length} failed publishes, leader ${leader} -> ${newLeader}`);
  console.log(`failover: ${acked.length} acknowledged (${ackedBeforeKill} before the kill), ${failed.length} failed, leader ${leader} -> ${newLeader}`);
});
