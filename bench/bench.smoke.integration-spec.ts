import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ContenderLabels, ContendersOf, type WorkloadName } from './lib/settings';

const run = promisify(execFile);
const Root = join(__dirname, '..');
const OutDir = join(Root, 'dist', 'bench-smoke');
/**
 * Every workload but `replicas`, which starts seven worker processes and would add more time than it is worth
 * here (its ready/go protocol is the one `delayed` exercises).
 */
const Smoked: WorkloadName[] = ['enqueue', 'process', 'latency', 'priority', 'delayed', 'outbox', 'export'];

/** The first cell of each row a workload's table must hold. */
function rowsOf(workload: WorkloadName): string[] {
  if (workload === 'export') return ['jsonl', 'csv'];
  return ContendersOf[workload].flatMap((contender) => {
    const label = ContenderLabels[workload][contender]!;
    return workload === 'outbox'
      ? [`${label}: immediate row, commit → consumer`, `${label}: delayed row, \`deliver_at\` → consumer`]
      : [label];
  });
}

/**
 * Proves `npm run bench` still works end to end (private nats-server, local Redis, every workload and
 * contender in forked processes) at a tiny scale. It never looks at the speed.
 */
describe('npm run bench, smoke run at a tiny scale', () => {
  afterAll(() => rm(OutDir, { recursive: true, force: true }));

  it(
    'runs every workload and contender and prints one table per workload',
    async () => {
      // Compiled like `npm run bench` does, without the type check (npm run typecheck covers bench/).
      await run(process.execPath, [
        require.resolve('typescript/bin/tsc'),
        '-p',
        join(Root, 'bench', 'tsconfig.json'),
        '--noCheck',
        '--outDir',
        OutDir,
      ]);
      const { stdout, stderr } = await run(process.execPath, [join(OutDir, 'bench', 'run.js'), ...Smoked], {
        cwd: Root,
        env: {
          ...process.env,
          BENCH_SCALE: '0.002',
          BENCH_ROUNDS: '1',
          BENCH_REPORT: '',
          BENCH_MAX_LOAD: '',
        },
        maxBuffer: 16 * 1024 * 1024,
      }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`bench failed: ${error.message}\n${error.stderr ?? ''}\n${error.stdout ?? ''}`);
      });

      expect(stderr).not.toMatch(/FAILED|bench failed/);
      const report = stdout.slice(stdout.indexOf('## Results'));
      expect(report).toMatch(/- machine: \d+ CPUs/);
      expect(report).toMatch(/nats-server v\d/);
      for (const workload of Smoked) {
        for (const first of rowsOf(workload)) {
          const row = report.split('\n').find((line) => line.startsWith(`| ${first} |`));
          expect(row).toBeDefined();
          // The first numeric column holds a number (speed not judged), never a dash for a missing result.
          expect(row!.split('|')[2].trim()).toMatch(/^[\d.,]+$/);
        }
      }
      expect(report.match(/^### /gm)).toHaveLength(Smoked.length);
      expect(report).not.toMatch(/failed|left out|holds \d+ (messages|jobs|rows) afterwards|started twice/);
      // Job statuses on were measured against their own database, and the variant line compares them.
      expect(report).toMatch(/^- ours\+statuses against ours: [\d.]+× the jobs\/s/m);
      // About 45 s on a quiet machine, 145 s at a load of 9 on two cores; BENCH_SMOKE_TIMEOUT_MS gives a
      // busier one more room.
    },
    Number(process.env.BENCH_SMOKE_TIMEOUT_MS ?? 180_000),
  );
});
