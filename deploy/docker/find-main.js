'use strict';
/*
 * Where an app's compiled entry point is, shared by deploy/docker/entry.js (in the image) and
 * scripts/start-all.js (npm start). Plain Node, no dependencies.
 */
const fs = require('fs');
const path = require('path');

/** dist/apps/<app>/apps/<app>/src/main.js first, then dist/apps/<app>/main.js, then the shallowest other main.js. */
function findMain(app, root) {
  const base = path.join(root, 'dist', 'apps', app);
  const preferred = [
    path.join(base, 'apps', app, 'src', 'main.js'),
    path.join(base, 'main.js'),
    path.join(base, 'src', 'main.js'),
  ];
  for (const candidate of preferred) if (fs.existsSync(candidate)) return candidate;
  // The shallowest main.js under dist/apps/<app>, skipping other apps' and libs' trees.
  const found = [];
  const walk = (dir, depth) => {
    if (depth > 6) return;
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory() && e.name !== 'node_modules' && e.name !== 'libs') walk(full, depth + 1);
      else if (e.isFile() && e.name === 'main.js') found.push(full);
    }
  };
  walk(base, 0);
  found.sort((a, b) => a.split(path.sep).length - b.split(path.sep).length || a.localeCompare(b));
  return found[0] || null;
}

module.exports = { findMain };
