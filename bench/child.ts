import './paths';
import 'reflect-metadata';
import type { RunResult, RunSpec } from './lib/settings';

/**
 * One run of one contender in a fresh process (forked by run.ts): the spec arrives in BENCH_SPEC, the
 * result goes back over IPC. Only the contender's own module is loaded, so BullMQ's process never loads
 * NATS or our runtime, and the other way round.
 */
export type ChildMessage =
  | { ok: true; result: RunResult }
  | { ok: false; error: string }
  /** Two-step workloads (lib/ipc.ts): the worker is up and waits for the jobs. */
  | { ready: true };

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.BENCH_SPEC ?? '') as RunSpec;
  const family = spec.contender.startsWith('bullmq')
    ? 'bullmq'
    : spec.contender.startsWith('ours')
      ? 'ours'
      : spec.contender;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const contender = require(`./contenders/${family}`) as { run(spec: RunSpec): Promise<RunResult> };
  return reply({ ok: true, result: await contender.run(spec) });
}

function reply(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      process.stdout.write(`${JSON.stringify(message)}\n`);
      return resolve();
    }
    process.send(message, () => resolve());
  });
}

main().then(
  () => process.exit(0),
  (error: Error) => reply({ ok: false, error: error.stack ?? String(error) }).finally(() => process.exit(1)),
);
