#!/usr/bin/env node
'use strict';
/*
 * Runs every built app locally as a child process: `npm start` (= npm run build && node scripts/start-all.js).
 *
 *   node scripts/start-all.js                      all apps
 *   node scripts/start-all.js --only notifier,poller
 *   node scripts/start-all.js --dry-run            show what would run, start nothing
 *   node scripts/start-all.js --help
 *
 * - Each app runs dist/apps/<app>/apps/<app>/src/main.js (or the main.js found under
 *   dist/apps/<app>) with its own HTTP_PORT. NATS_URL and DATABASE_URL default to
 *   127.0.0.1, and anything set in the environment is passed through unchanged.
 * - Each output line gets the app name in front. The rest of the line (pino JSON on
 *   stdout) is passed through as it is.
 * - Waits until every app answers 200 on /health/ready, then prints a table of URLs.
 * - Passes SIGINT/SIGTERM on to the apps and exits once they have all exited. If an app
 *   dies by itself, says so loudly, stops the others, and exits non-zero.
 *
 * Plain Node (CommonJS), no dependencies.
 */
const fs = require('fs');
const path = require('path');
const { findMain: findAppMain } = require('../deploy/docker/find-main');
const http = require('http');
const net = require('net');
const readline = require('readline');
const { spawn } = require('child_process');

const ROOT = path.resolve(__dirname, '..');

// Each app's HTTP port, shared with deploy/docker/entry.js and the Kubernetes manifests.
// Per-app V8 flags (the exporter's heap cap), the same ones compose and the Kubernetes manifests set.
const NODE_OPTIONS = require('../deploy/docker/app-node-options.json');
const APPS = Object.entries(require('../deploy/docker/app-ports.json')).map(([name, port]) => ({
  name,
  port,
}));

const LOCAL_DEFAULTS = {
  NATS_URL: 'nats://127.0.0.1:4222',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
  // Mailpit's SMTP port; mail waits in the queue (retried) while nothing listens there.
  SMTP_URL: 'smtp://127.0.0.1:1025',
  // Signs export download links; a development value only (production sets its own, >= 32 characters).
  EXPORT_LINK_SECRET: 'local-development-export-link-secret-000',
};

const HELP = `Usage: node scripts/start-all.js [options]

Starts the built apps (${APPS.map((a) => a.name).join(', ')}) as child processes,
waits until each answers 200 on /health/ready, and stops them all on Ctrl+C.

Options:
  --only <a,b,...>        start only these apps (e.g. --only notifier,poller)
  --ready-timeout <ms>    how long to wait for /health/ready (default 60000,
                          or START_ALL_READY_TIMEOUT_MS)
  --dry-run               print the plan (apps, entry files, ports, env) and exit
  --no-color              no ANSI colours (NO_COLOR=1 does the same)
  -h, --help              show this help

Environment:
  NATS_URL                default ${LOCAL_DEFAULTS.NATS_URL}
  DATABASE_URL            default ${LOCAL_DEFAULTS.DATABASE_URL}
  SMTP_URL                default ${LOCAL_DEFAULTS.SMTP_URL} (the notifier's mail relay)
  <APP>_HTTP_PORT         per-app port override, e.g. NOTIFIER_HTTP_PORT=4002
                          (defaults: ${APPS.map((a) => `${a.name} ${a.port}`).join(', ')})
  SHUTDOWN_GRACE_MS       passed to the apps; start-all SIGKILLs an app that is still
                          running this long (default 25000, as in the apps) + 5s
                          after a stop signal
  LOG_LEVEL, WORKER_SLOTS, SMTP_URL, NATS_STREAM_REPLICAS, NODE_ENV, ...
                          passed through unchanged

The apps must be built first: npm run build (npm start does it for you).
`;

// ---------------------------------------------------------------------------------------
// Pure helpers (exported for tests)

function parseArgs(argv) {
  const opts = { only: null, dryRun: false, help: false, color: null, readyTimeoutMs: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined || next.startsWith('-')) throw new Error(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '-h':
      case '--help':
        opts.help = true;
        break;
      case '--only':
        opts.only = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        break;
      case '--dry-run':
        opts.dryRun = true;
        break;
      case '--no-color':
        opts.color = false;
        break;
      case '--ready-timeout': {
        const ms = Number(value());
        if (!Number.isFinite(ms) || ms <= 0)
          throw new Error('--ready-timeout needs a positive number of milliseconds');
        opts.readyTimeoutMs = ms;
        break;
      }
      default:
        throw new Error(`unknown argument: ${arg}`);
    }
  }
  return opts;
}

function selectApps(only) {
  if (!only) return APPS.slice();
  if (only.length === 0) throw new Error('--only needs at least one app name');
  const known = new Set(APPS.map((a) => a.name));
  const unknown = only.filter((n) => !known.has(n));
  if (unknown.length)
    throw new Error(`unknown app(s): ${unknown.join(', ')}; known apps: ${[...known].join(', ')}`);
  return APPS.filter((a) => only.includes(a.name));
}

function findMain(app, root = ROOT) {
  return findAppMain(app, root);
}

function portFor(app, env = process.env) {
  const key = `${app.name.toUpperCase()}_HTTP_PORT`;
  if (env[key] === undefined || env[key] === '') return app.port;
  const port = Number(env[key]);
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw new Error(`${key}=${env[key]} is not a valid port`);
  return port;
}

function childEnv(app, port, env = process.env) {
  const out = { ...env };
  for (const [k, v] of Object.entries(LOCAL_DEFAULTS)) if (!out[k]) out[k] = v;
  out.HTTP_PORT = String(port); // a global HTTP_PORT would make every app fight over one port
  out.APP = app.name;
  if (NODE_OPTIONS[app.name])
    out.NODE_OPTIONS = [out.NODE_OPTIONS, NODE_OPTIONS[app.name]].filter(Boolean).join(' ');
  return out;
}

// ---------------------------------------------------------------------------------------
// Output

function makeStyle(enabled) {
  const wrap = (code) => (s) => (enabled ? `\x1b[${code}m${s}\x1b[0m` : String(s));
  return {
    bold: wrap('1'),
    dim: wrap('2'),
    red: wrap('31'),
    green: wrap('32'),
    yellow: wrap('33'),
    inverseRed: wrap('1;41;97'),
    app: ['36', '35', '34', '33', '32', '96', '95', '94'].map(wrap),
  };
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows
    .map(
      (r) =>
        '  ' +
        r
          .map((c, i) => String(c).padEnd(widths[i]))
          .join('   ')
          .trimEnd(),
    )
    .join('\n');
}

// ---------------------------------------------------------------------------------------
// Runtime

function portInUse(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (inUse) => {
      sock.destroy();
      resolve(inUse);
    };
    sock.setTimeout(400, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

function probeReady(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health/ready', timeout: 1500 }, (res) => {
      res.resume();
      resolve({ ok: res.statusCode === 200, detail: `HTTP ${res.statusCode}` });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ ok: false, detail: err.code || err.message }));
  });
}

function main(argv) {
  let opts;
  let apps;
  try {
    opts = parseArgs(argv);
    if (opts.help) {
      process.stdout.write(HELP);
      return;
    }
    apps = selectApps(opts.only);
  } catch (err) {
    process.stderr.write(`start-all: ${err.message}\nTry: node scripts/start-all.js --help\n`);
    process.exitCode = 2;
    return;
  }

  const useColor =
    opts.color ?? (!process.env.NO_COLOR && (Boolean(process.env.FORCE_COLOR) || process.stdout.isTTY));
  const st = makeStyle(Boolean(useColor));
  const width = Math.max('start-all'.length, ...apps.map((a) => a.name.length));
  const tag = (name, color) => color(`[${name}]`.padEnd(width + 2)) + ' ';
  const selfTag = tag('start-all', st.bold);
  const say = (msg) => process.stdout.write(`${selfTag}${msg}\n`);
  const shout = (msg) => process.stderr.write(`${selfTag}${msg}\n`);
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }

  const readyTimeoutMs = opts.readyTimeoutMs ?? (Number(process.env.START_ALL_READY_TIMEOUT_MS) || 60000);
  const graceMs = (Number(process.env.SHUTDOWN_GRACE_MS) || 25000) + 5000; // apps default to 25000

  // Plan: entry file and port per app.
  let plan;
  try {
    plan = apps.map((app, i) => {
      const port = portFor(app);
      const main = findMain(app.name);
      return {
        ...app,
        port,
        main,
        rel: main ? path.relative(ROOT, main) : null,
        color: st.app[i % st.app.length],
      };
    });
  } catch (err) {
    shout(st.red(err.message));
    process.exitCode = 2;
    return;
  }
  const dupPorts = plan.filter((p, i) => plan.findIndex((q) => q.port === p.port) !== i);
  if (dupPorts.length) {
    shout(
      st.red(
        `two apps would use the same HTTP port: ${dupPorts.map((p) => `${p.name}:${p.port}`).join(', ')}`,
      ),
    );
    process.exitCode = 2;
    return;
  }
  const missing = plan.filter((p) => !p.main);

  if (opts.dryRun) {
    const env = childEnv(plan[0], plan[0].port);
    say(`dry run: would start ${plan.length} app(s) from ${ROOT}`);
    process.stdout.write(
      table([
        ['APP', 'HTTP_PORT', 'ENTRY'],
        ...plan.map((p) => [
          p.name,
          p.port,
          p.rel || st.red(`MISSING (no main.js under dist/apps/${p.name})`),
        ]),
      ]) + '\n',
    );
    say(
      `NATS_URL=${env.NATS_URL}  DATABASE_URL=${env.DATABASE_URL.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')}`,
    );
    say(`ready timeout ${readyTimeoutMs} ms; SIGKILL ${graceMs} ms after a stop signal`);
    if (missing.length) {
      shout(st.red(`${missing.map((p) => p.name).join(', ')} not built: run npm run build first`));
      process.exitCode = 1;
    }
    return;
  }

  if (missing.length) {
    for (const p of missing) {
      shout(
        st.red(
          `✖ ${p.name}: dist/apps/${p.name}/apps/${p.name}/src/main.js not found (no main.js under dist/apps/${p.name})`,
        ),
      );
    }
    shout(st.bold(st.red('run npm run build first (or: npx nest build <app>), then try again')));
    process.exitCode = 1;
    return;
  }

  run(plan, { st, tag, say, shout, readyTimeoutMs, graceMs }).catch((err) => {
    shout(st.red(`internal error: ${err && err.stack ? err.stack : err}`));
    process.exit(1);
  });
}

async function run(plan, ctx) {
  const { st, tag, say, shout, readyTimeoutMs, graceMs } = ctx;

  // Stop early, and say why, if something already answers on one of our ports (often a
  // previous run that is still alive). Otherwise the app fails with EADDRINUSE, or worse,
  // the readiness probe gets its 200 from the old process.
  const busy = [];
  for (const p of plan) if (await portInUse(p.port)) busy.push(p);
  if (busy.length) {
    for (const p of busy)
      shout(st.red(`✖ port ${p.port} (${p.name}) is already in use; is another instance running?`));
    shout(
      `free the port(s) or override them, e.g. ${busy[0].name.toUpperCase()}_HTTP_PORT=${busy[0].port + 100}`,
    );
    process.exitCode = 1;
    return;
  }

  const children = new Map(); // name -> state
  let stopping = false; // a stop was requested, or an app failed
  let exitCode = 0;
  let firstSignalAt = 0;
  let killTimer = null;

  const alive = () => [...children.values()].filter((c) => !c.exited);

  const finishIfDone = () => {
    if ([...children.values()].some((c) => !c.closed)) return;
    if (killTimer) clearTimeout(killTimer);
    say(exitCode === 0 ? st.green('all apps stopped') : st.red(`all apps stopped (exit code ${exitCode})`));
    process.exit(exitCode);
  };

  const stopAll = (signal) => {
    if (!stopping) {
      stopping = true;
      killTimer = setTimeout(() => {
        const left = alive();
        if (!left.length) return;
        shout(
          st.red(
            `${left.map((c) => c.name).join(', ')} still running ${graceMs} ms after ${signal}: sending SIGKILL`,
          ),
        );
        exitCode = exitCode || 1;
        for (const c of left) c.kill('SIGKILL');
      }, graceMs);
      killTimer.unref();
    }
    for (const c of alive()) c.kill(signal);
    if (children.size === 0 || alive().length === 0) finishIfDone();
  };

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      const now = Date.now();
      if (!firstSignalAt) {
        firstSignalAt = now;
        say(
          st.yellow(
            `${signal} received: stopping ${alive().length} app(s) (sent ${signal}; Ctrl+C again to force)`,
          ),
        );
        stopAll(signal);
        return;
      }
      // `npm start` in a terminal delivers Ctrl+C twice (tty + npm forwarding it): ignore an echo.
      if (now - firstSignalAt < 1500) return;
      shout(
        st.red(
          `${signal} received again: killing ${
            alive()
              .map((c) => c.name)
              .join(', ') || 'nothing'
          } with SIGKILL`,
        ),
      );
      exitCode = exitCode || 1;
      for (const c of alive()) c.kill('SIGKILL');
    });
  }
  // If start-all itself dies (uncaught error, process.exit), leave no orphans behind.
  process.on('exit', () => {
    for (const c of alive()) c.kill('SIGTERM');
  });

  // Start everything.
  for (const p of plan) {
    const child = spawn(process.execPath, [p.main], {
      cwd: ROOT,
      env: childEnv(p, p.port),
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: Ctrl+C in the terminal reaches only start-all, which passes it on once.
      // Otherwise each app would get SIGINT twice and Nest would be killed in the middle of shutdown.
      detached: process.platform !== 'win32',
    });
    const state = {
      name: p.name,
      port: p.port,
      pid: child.pid,
      exited: false,
      closed: false,
      ready: false,
      code: null,
      signal: null,
      kill(sig) {
        if (this.exited) return;
        try {
          child.kill(sig);
        } catch {
          /* already gone */
        }
      },
    };
    children.set(p.name, state);
    const prefix = tag(p.name, p.color);
    for (const [src, dst] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ]) {
      readline
        .createInterface({ input: src, crlfDelay: Infinity })
        .on('line', (line) => dst.write(prefix + line + '\n'));
    }
    const onExit = (code, signal) => {
      if (state.exited) return;
      Object.assign(state, { exited: true, code, signal });
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (!stopping) {
        const bar = '━'.repeat(72);
        shout(st.red(bar));
        shout(
          st.inverseRed(` ✖ ${p.name} (pid ${state.pid}) DIED UNEXPECTEDLY with ${how} `) +
            st.red(' — stopping the other apps'),
        );
        if (code === 78)
          shout(
            st.red(`  exit code 78 = invalid configuration: see the ${p.name} lines above for the setting`),
          );
        shout(st.red(bar));
        exitCode = 1;
        stopAll('SIGTERM');
      } else {
        // Exited after we asked: clean if code 0 or killed by the signal we sent.
        const clean = code === 0 || (signal && signal !== 'SIGKILL');
        if (clean) say(`${p.name} exited (${how})`);
        else {
          shout(st.red(`${p.name} exited with ${how} during shutdown`));
          exitCode = exitCode || 1;
        }
      }
    };
    child.on('error', (err) => {
      shout(st.red(`✖ ${p.name}: could not start: ${err.message}`));
      if (!state.exited) onExit(1, null);
      state.closed = true;
      finishIfDone();
    });
    child.on('exit', onExit);
    child.on('close', (code, signal) => {
      onExit(code, signal);
      state.closed = true;
      finishIfDone();
    });
    say(`started ${p.name} (pid ${child.pid}) ${st.dim(path.relative(ROOT, p.main))} on :${p.port}`);
  }

  // Wait for /health/ready on every app.
  const started = Date.now();
  const waitReady = async (state) => {
    let last = 'no answer yet';
    while (!stopping) {
      const r = await probeReady(state.port);
      if (stopping) return;
      if (r.ok) {
        state.ready = true;
        say(st.green(`${state.name} ready`) + st.dim(` (${((Date.now() - started) / 1000).toFixed(1)}s)`));
        return;
      }
      last = r.detail;
      if (Date.now() - started > readyTimeoutMs) {
        shout(
          st.red(
            `✖ ${state.name} not ready after ${readyTimeoutMs} ms (last /health/ready: ${last}); stopping everything`,
          ),
        );
        shout('is NATS up on NATS_URL and PostgreSQL on DATABASE_URL? (see the app logs above)');
        exitCode = 1;
        stopAll('SIGTERM');
        return;
      }
      await new Promise((r2) => setTimeout(r2, 500));
    }
  };
  await Promise.all([...children.values()].map(waitReady));
  if (stopping) return;

  const rows = [['APP', 'PID', 'READY', 'METRICS', 'LIVE']];
  for (const c of children.values()) {
    const base = `http://127.0.0.1:${c.port}`;
    rows.push([c.name, c.pid, `${base}/health/ready`, `${base}/metrics`, `${base}/health/live`]);
  }
  process.stdout.write(
    `\n${st.bold(st.green(`all ${children.size} app(s) ready`))} in ${((Date.now() - started) / 1000).toFixed(1)}s\n`,
  );
  process.stdout.write(table(rows) + '\n\n');
  say('press Ctrl+C to stop');
}

module.exports = { APPS, LOCAL_DEFAULTS, parseArgs, selectApps, findMain, portFor, childEnv };

if (require.main === module) main(process.argv.slice(2));
