import { fork } from 'node:child_process';
import AppNodeOptions from '../../deploy/docker/app-node-options.json';
import type { ExportRun } from './settings';

/**
 * Runs bench/export-group.ts in a process of its own (it starts its own nats-server and database, seeds the
 * comments and exports them once per format) and takes its results from the `export-result` message.
 */
export function forkExportBenchmark(
  script: string,
  options: { rows: number; bodyBytes: number; compiled: boolean; cwd: string; timeoutMs: number },
): Promise<ExportRun[]> {
  // Compiled, the script maps `@lib/*` itself (bench/paths.js); under ts-node tsconfig-paths does.
  // The exporter's V8 flags as deployed (deploy/docker/app-node-options.json): the heap cap is part of it.
  const deployed = AppNodeOptions.exporter.split(' ');
  const execArgv = options.compiled
    ? deployed
    : [
        ...deployed,
        '-r',
        require.resolve('ts-node/register/transpile-only'),
        '-r',
        require.resolve('tsconfig-paths/register'),
      ];
  const child = fork(script, [], {
    cwd: options.cwd,
    execArgv,
    env: {
      ...process.env,
      BENCH_EXPORT_ROWS: String(options.rows),
      BENCH_EXPORT_BODY: String(options.bodyBytes),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let results: ExportRun[] | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`export benchmark gave no result within ${options.timeoutMs / 1000} s`));
    }, options.timeoutMs);
    child.on('message', (message: { type?: string; results?: ExportRun[] }) => {
      if (message.type === 'export-result') results = message.results;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (results) resolve(results);
      else reject(new Error(`export benchmark exited (${signal ?? `code ${code}`}) without a result`));
    });
  });
}
