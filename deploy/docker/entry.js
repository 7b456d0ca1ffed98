#!/usr/bin/env node
'use strict';
/*
 * Container entry point for every app image (see ../../Dockerfile).
 *
 *   node deploy/docker/entry.js                 start the app named by $APP
 *   node deploy/docker/entry.js --healthcheck   exit 0 if GET /health/ready answers 200
 *   node deploy/docker/entry.js --print-main    print the resolved main.js path
 *   node deploy/docker/entry.js --migrate       apply pending database migrations, then exit
 *
 * The app's main.js is loaded with require() in this same process, not in a child
 * process. Signals such as SIGTERM from `docker stop` therefore go straight to the
 * Nest app and its shutdown hooks, and no supervisor process sits in between. Run
 * the container with an init (compose `init: true`, `docker run --init`) so that
 * zombie reaping and default signal handling behave as they do outside PID 1.
 *
 * How main.js is found matches scripts/start-all.js: prefer
 * dist/apps/<app>/apps/<app>/src/main.js (the layout once an app imports
 * libs/), then dist/apps/<app>/main.js, then any other main.js under
 * dist/apps/<app>. Plain Node, no dependencies.
 */
const fs = require('fs');
const path = require('path');
const { findMain: findAppMain } = require('./find-main');
const http = require('http');

// Each app's HTTP port (health, metrics, the dashboard's UI); start-all.js and the Kubernetes
// manifests read the same file.
const DEFAULT_PORTS = require('./app-ports.json');

const ROOT = path.resolve(__dirname, '..', '..');

function fail(message) {
  process.stderr.write(`[entry] ${message}\n`);
  process.exit(1);
}

function findMain(app) {
  return findAppMain(app, ROOT);
}

const app = process.env.APP;
if (!app) fail('APP is not set (build with --build-arg APP=<app> or set -e APP=<app>)');
if (!Object.prototype.hasOwnProperty.call(DEFAULT_PORTS, app)) {
  fail(`unknown APP "${app}"; expected one of: ${Object.keys(DEFAULT_PORTS).join(', ')}`);
}
if (!process.env.HTTP_PORT) process.env.HTTP_PORT = String(DEFAULT_PORTS[app]);

const arg = process.argv[2];

if (arg === '--healthcheck') {
  const req = http.get(
    { host: '127.0.0.1', port: Number(process.env.HTTP_PORT), path: '/health/ready', timeout: 2500 },
    (res) => {
      res.resume();
      process.exit(res.statusCode === 200 ? 0 : 1);
    },
  );
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (err) => {
    process.stderr.write(`healthcheck: ${err.message}\n`);
    process.exit(1);
  });
} else {
  const main = findMain(app);
  if (!main)
    fail(`no main.js under dist/apps/${app}; the image build did not produce it (run npm run build)`);
  if (arg === '--print-main') {
    process.stdout.write(`${path.relative(ROOT, main)}\n`);
  } else if (arg === '--migrate') {
    // Every app's build carries libs/db; migrations run once, from a one-shot container, not per replica.
    const migrate = path.join(path.dirname(main), '..', '..', '..', 'libs', 'db', 'src', 'migrate.js');
    if (!fs.existsSync(migrate)) fail(`no ${path.relative(ROOT, migrate)} in this image`);
    if (!process.env.DATABASE_URL) fail('DATABASE_URL is not set');
    require(migrate)
      .migrateDatabase(process.env.DATABASE_URL)
      .then(({ applied }) => {
        process.stdout.write(applied.length ? `applied ${applied.join(', ')}\n` : 'schema already current\n');
        process.exit(0);
      })
      .catch((err) => fail(`migration failed: ${err.message}`));
  } else if (arg) {
    fail(`unknown argument ${arg}`);
  } else {
    process.title = `node ${app}`;
    require(main);
  }
}
