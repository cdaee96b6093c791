// pusher-js clients and pusher (server library) instances pointed at one node's gateway,
// and waiting helpers for the end-to-end tests.
'use strict';
const Pusher = require('pusher-js');
const PusherServer = require('pusher');

function server(cluster, node, overrides = {}) {
  return new PusherServer({
    appId: cluster.app.id, key: cluster.app.key, secret: cluster.app.secret,
    host: '127.0.0.1', port: String(cluster.gatewayPorts[node]), useTLS: false, timeout: 15000, ...overrides,
  });
}

// user: {user_id, user_info} for presence channels; authorizer: a server() to sign with.
function client(cluster, node, { user = null, signer = null, key = cluster.app.key } = {}) {
  const auth = signer || server(cluster, node);
  const p = new Pusher(key, {
    cluster: 'local', wsHost: '127.0.0.1', wsPort: cluster.gatewayPorts[node], forceTLS: false,
    enabledTransports: ['ws'], disableStats: true,
    channelAuthorization: {
      customHandler: (params, callback) => {
        const presence = params.channelName.startsWith('presence-');
        callback(null, presence ? auth.authorizeChannel(params.socketId, params.channelName, user)
          : auth.authorizeChannel(params.socketId, params.channelName));
      },
    },
  });
  p.received = [];  // every message, in arrival order
  p.connection.bind('message', (m) => p.received.push(m));
  return p;
}

function waitFor(what, predicate, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const check = () => {
      let value;
      try { value = predicate(); } catch (e) { reject(e); return; }
      if (value) { resolve(value); return; }
      if (Date.now() > deadline) { reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)); return; }
      setTimeout(check, 20);
    };
    check();
  });
}

const connected = (p) => waitFor('connected', () => p.connection.state === 'connected');

function subscribed(p, name) {
  const channel = p.subscribe(name);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no subscription_succeeded on ${name}`)), 10000);
    channel.bind('pusher:subscription_succeeded', (data) => { clearTimeout(timer); resolve({ channel, data }); });
    channel.bind('pusher:subscription_error', (e) => { clearTimeout(timer); reject(new Error(`subscription_error on ${name}: ${JSON.stringify(e)}`)); });
  });
}

// Events named `event` that reached `p` on `channel`, from its message log.
const events = (p, channel, event) => p.received.filter((m) => m.channel === channel && m.event === event);

module.exports = { server, client, waitFor, connected, subscribed, events };
