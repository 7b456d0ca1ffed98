/*
 * node dist/bench/bench/rate-limit-check.js (after `npm run bench` or `npx tsc -p bench/tsconfig.json`) —
 * what rate limits cost a job of a subject without any, measured on its own. The runtime resolves the limits
 * once per subject at start (`limitsOf`); per job it tests whether the subject's consumer has an admission
 * and, on success, whether the job was limited. This times both tests over a delivery loop against the same
 * loop without them, and `limitsOf` itself (what resolving per job would cost instead). BENCH_CHECK_JOBS
 * deliveries per pass (10 million), best of 5 passes.
 */
import './paths';
import { DefaultRateLimitSettings, limitsOf } from '@lib/jetstream';
import { NoopContracts, NoopSubject } from './lib/bench-app';

interface Consumer {
  admission?: { admit(): boolean };
  handled: number;
}

interface Context {
  limited?: { deferredDeliveries: number };
  n: number;
}

const jobs = Number(process.env.BENCH_CHECK_JOBS ?? 10_000_000);
const contract = NoopContracts[NoopSubject];

function withoutChecks(consumers: Consumer[], contexts: Context[]): number {
  let sum = 0;
  for (let i = 0; i < jobs; i++) {
    const consumer = consumers[i & 3];
    const ctx = contexts[i & 1023];
    consumer.handled++;
    sum += ctx.n;
  }
  return sum;
}

function withChecks(consumers: Consumer[], contexts: Context[]): number {
  let sum = 0;
  for (let i = 0; i < jobs; i++) {
    const consumer = consumers[i & 3];
    const ctx = contexts[i & 1023];
    const admission = consumer.admission;
    if (admission !== undefined && !admission.admit()) continue;
    consumer.handled++;
    if (ctx.limited !== undefined && ctx.limited.deferredDeliveries > 0) sum--;
    sum += ctx.n;
  }
  return sum;
}

function resolvingPerJob(): number {
  let limited = 0;
  for (let i = 0; i < jobs / 10; i++) if (limitsOf(contract, DefaultRateLimitSettings)) limited++;
  return limited;
}

function nsPerJob(pass: () => unknown, count = jobs): number {
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const started = process.hrtime.bigint();
    pass();
    best = Math.min(best, Number(process.hrtime.bigint() - started) / count);
  }
  return best;
}

// Subjects without limits, as the runtime holds them; contexts as jobs of such subjects carry them.
const consumers: Consumer[] = Array.from({ length: 4 }, () => ({ admission: undefined, handled: 0 }));
const contexts: Context[] = Array.from({ length: 1024 }, (_, n) => ({ limited: undefined, n }));
if (limitsOf(contract, DefaultRateLimitSettings) !== undefined) throw new Error('the no-op job has limits');
const plain = nsPerJob(() => withoutChecks(consumers, contexts));
const checked = nsPerJob(() => withChecks(consumers, contexts));
const resolving = nsPerJob(resolvingPerJob, jobs / 10);
process.stdout.write(
  [
    `delivery loop without the checks: ${plain.toFixed(2)} ns/job`,
    `with the two per-job checks:      ${checked.toFixed(2)} ns/job (+${(checked - plain).toFixed(2)} ns)`,
    `limitsOf per job instead:         ${resolving.toFixed(2)} ns/job`,
  ].join('\n') + '\n',
);
