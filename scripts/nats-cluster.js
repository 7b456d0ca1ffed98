#!/usr/bin/env node
'use strict';
/*
 * npm run cluster:up      start the 3-node JetStream cluster of deploy/nats/cluster on loopback ports
 * npm run cluster:down    stop it (add --clean to delete its stores too)
 * npm run cluster:status  which nodes answer
 *
 * Each node runs detached with its store and log under .nats-cluster/node-N, so the cluster outlives
 * this command and the apps can be pointed at it:
 *   NATS_URL=nats://127.0.0.1:14222,nats://127.0.0.1:14223,nats://127.0.0.1:14224 NATS_STREAM_REPLICAS=3
 * Kill one node by hand (kill $(cat .nats-cluster/node-2/pid)) to watch failover; `cluster:up` again
 * restarts the missing ones with their stores.
 */
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const STATE = path.join(ROOT, '.nats-cluster');
const NODES = [1, 2, 3].map((n) => ({
  n,
  config: path.join(ROOT, 'deploy', 'nats', 'cluster', `node-${n}.conf`),
  dir: path.join(STATE, `node-${n}`),
  client: 14221 + n,
  monitor: 18221 + n,
}));
const NATS_URL = NODES.map((node) => `nats://127.0.0.1:${node.client}`).join(',');

function natsServerBinary() {
  for (const candidate of [process.env.NATS_SERVER_BINARY, '/usr/sbin/nats-server', '/usr/bin/nats-server']) {
    if (candidate && fs.existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('nats-server not found: install it (apt install nats-server) or set NATS_SERVER_BINARY');
  }
}

function pidOf(node) {
  try {
    const pid = Number(fs.readFileSync(path.join(node.dir, 'pid'), 'utf8'));
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

function healthy(node) {
  return new Promise((resolve) => {
    const request = http.get(
      { host: '127.0.0.1', port: node.monitor, path: '/healthz?js-enabled-only=true', timeout: 1000 },
      (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      },
    );
    request.on('error', () => resolve(false));
    request.on('timeout', () => request.destroy());
  });
}

async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function up() {
  const binary = natsServerBinary();
  for (const node of NODES) {
    if (pidOf(node)) {
      process.stdout.write(`node-${node.n} already running (pid ${pidOf(node)})\n`);
      continue;
    }
    fs.mkdirSync(path.join(node.dir, 'store'), { recursive: true });
    const log = fs.openSync(path.join(node.dir, 'server.log'), 'a');
    const child = spawn(binary, ['-c', node.config], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, NATS_STORE_DIR: path.join(node.dir, 'store') },
    });
    fs.writeFileSync(path.join(node.dir, 'pid'), String(child.pid));
    child.unref();
    process.stdout.write(`node-${node.n} started (pid ${child.pid}, client port ${node.client})\n`);
  }
  for (const node of NODES) await waitFor(() => healthy(node), 30_000, `node-${node.n} to be healthy`);
  process.stdout.write(`cluster up\n  NATS_URL=${NATS_URL}\n  NATS_STREAM_REPLICAS=3\n`);
}

async function down(clean) {
  for (const node of NODES) {
    const pid = pidOf(node);
    if (!pid) continue;
    process.kill(pid, 'SIGTERM');
    await waitFor(async () => !pidOf(node), 15_000, `node-${node.n} to stop`).catch(() =>
      process.kill(pid, 'SIGKILL'),
    );
    process.stdout.write(`node-${node.n} stopped\n`);
  }
  if (clean) {
    fs.rmSync(STATE, { recursive: true, force: true });
    process.stdout.write('stores deleted\n');
  }
}

async function status() {
  for (const node of NODES) {
    const pid = pidOf(node);
    const ok = pid ? await healthy(node) : false;
    process.stdout.write(`node-${node.n}: ${pid ? `pid ${pid}` : 'not running'}${ok ? ', healthy' : ''}\n`);
  }
}

const [command, ...flags] = process.argv.slice(2);
const commands = { up: () => up(), down: () => down(flags.includes('--clean')), status: () => status() };
if (!commands[command]) {
  process.stderr.write('usage: node scripts/nats-cluster.js up | down [--clean] | status\n');
  process.exit(2);
}
commands[command]().catch((error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
