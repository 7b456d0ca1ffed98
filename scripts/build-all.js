#!/usr/bin/env node
// Builds every app of nest-cli.json in turn (`nest build` takes one project at a time).
const { execFileSync } = require('node:child_process');
const { projects } = require('../nest-cli.json');

const apps = Object.entries(projects)
  .filter(([, project]) => project.type === 'application')
  .map(([name]) => name);
const only = process.argv.slice(2);
for (const app of only.length > 0 ? only : apps) {
  process.stdout.write(`building ${app}\n`);
  execFileSync(require.resolve('@nestjs/cli/bin/nest.js'), ['build', app], { stdio: 'inherit' });
}
