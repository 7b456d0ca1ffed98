import { median } from './measure';
import {
  ContenderLabels,
  type BenchSettings,
  type ContenderName,
  type Percentiles,
  type RunResult,
  type WorkloadName,
} from './settings';

export type RunsByContender = Map<ContenderName, RunResult[]>;

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function n0(value: number): string {
  return Number.isFinite(value) ? int.format(value) : '–';
}

function ms(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

function ratio(value: number, base: number): string {
  return Number.isFinite(value) && Number.isFinite(base) && base > 0 ? `${(value / base).toFixed(2)}×` : '–';
}

function med(runs: readonly RunResult[], pick: (r: RunResult) => number | undefined): number {
  return median(runs.map((r) => pick(r) ?? NaN));
}

function label(workload: WorkloadName, contender: ContenderName): string {
  return ContenderLabels[workload][contender] ?? contender;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export function workloadTitle(workload: WorkloadName, s: BenchSettings): string {
  const jobs = n0(s.jobs);
  switch (workload) {
    case 'enqueue':
      return `enqueue ${jobs} × 128 B jobs`;
    case 'process':
      return `process ${jobs} queued no-op jobs, ack each`;
    case 'latency':
      return `enqueue→start latency at ${s.latency.ratePerSec} jobs/s for ${s.latency.durationMs / 1000} s (first ${s.latency.warmupMs / 1000} s not counted)`;
    case 'priority':
      return `critical job every ${s.priority.criticalEveryMs} ms while ${jobs} low jobs (${s.priority.lowJobMs} ms each) are queued (first ${s.priority.warmupMs / 1000} s not counted)`;
    case 'delayed':
      return `${n0(s.delayed.due)} delayed jobs falling due over ${s.delayed.windowMs / 1000} s while ${n0(s.delayed.stored + s.delayed.due)} are stored (${n0(s.delayed.stored)} due 1 h–14 days later; relay batch ${s.delayed.relayBatchSize})`;
    case 'replicas':
      return `${n0(s.replicas.jobsPerProcess)} jobs per process (${s.replicas.jobMs} ms each) on 1, 2 and 4 worker processes sharing one durable consumer`;
    case 'outbox':
      return `outbox row → published: ${n0(s.outbox.immediate)} rows committed one per transaction at ${s.outbox.ratePerSec}/s, then ${n0(s.outbox.delayed)} rows due ${s.outbox.aheadMs / 1000} s ahead`;
    case 'export':
      return `group export of about ${n0(s.export.rows)} rows (comments of ${n0(s.export.bodyBytes)} B, their events, polls, votes), JSONL then CSV (targets: 50,000 rows/s, peak RSS < 200 MB)`;
  }
}

/**
 * Below the process table: how each variant of ours (statuses on, another build) compares with `ours` of the
 * same run (or, when `ours` is left out, with the first contender, e.g. the first of BENCH_BUILDS), in
 * throughput and in client CPU per job (the steadier of the two on shared cores).
 */
export function variantNotes(runs: RunsByContender): string {
  const base = runs.has('ours') ? 'ours' : [...runs.keys()][0];
  const ours = (base && runs.get(base)) || [];
  if (ours.length === 0) return '';
  const rate = (rs: readonly RunResult[]) => med(rs, (r) => r.rate);
  const cpu = (rs: readonly RunResult[]) => med(rs, (r) => (r.clientCpuMs * 1000) / r.jobs);
  const lines: string[] = [];
  for (const [contender, rs] of runs) {
    if (contender === base || !(contender.startsWith('ours') || contender.startsWith('build:'))) continue;
    if (rs.length === 0) continue;
    const cost = (1 - rate(rs) / rate(ours)) * 100;
    lines.push(
      `- ${contender} against ${base}: ${ratio(rate(rs), rate(ours))} the jobs/s (${cost >= 0 ? 'costs' : 'gains'} ` +
        `${Math.abs(cost).toFixed(1)} %), client CPU ${ms(cpu(rs))} µs/job against ${ms(cpu(ours))} ` +
        `(${ratio(cpu(rs), cpu(ours))})`,
    );
  }
  return lines.length > 0 ? `\n\n${lines.join('\n')}` : '';
}

/** One markdown table per workload: medians over the rounds, each round's value, and the ratio to the first contender. */
export function workloadTable(
  workload: WorkloadName,
  contenders: readonly ContenderName[],
  runs: RunsByContender,
  failures: Map<ContenderName, string[]>,
): string {
  const ok = (c: ContenderName) => runs.get(c) ?? [];
  const base = contenders[0];
  const rounds = (c: ContenderName, pick: (r: RunResult) => number, fmt: (v: number) => string) =>
    ok(c)
      .map((r) => fmt(pick(r)))
      .join(' / ') || '–';
  const perJobUs = (pick: (r: RunResult) => number | undefined) => (r: RunResult) => {
    const v = pick(r);
    return v === undefined ? NaN : (v * 1000) / r.jobs;
  };
  const memory = (c: ContenderName) => [
    n0(med(ok(c), (r) => r.peakRssMb)),
    n0(med(ok(c), (r) => r.peakHeapMb)),
  ];
  let out: string;
  if (workload === 'enqueue' || workload === 'process') {
    const baseRate = med(ok(base), (r) => r.rate);
    out = table(
      [
        'contender',
        'jobs/s (median)',
        `vs ${base}`,
        'each round',
        'client CPU µs/job',
        'broker CPU µs/job',
        'peak RSS MB',
        'peak heap MB',
      ],
      contenders.map((c) => {
        const rate = med(ok(c), (r) => r.rate);
        return [
          label(workload, c),
          n0(rate),
          ratio(rate, baseRate),
          rounds(c, (r) => r.rate, n0),
          ms(
            med(
              ok(c),
              perJobUs((r) => r.clientCpuMs),
            ),
          ),
          ms(
            med(
              ok(c),
              perJobUs((r) => r.brokerCpuMs),
            ),
          ),
          ...memory(c),
        ];
      }),
    );
  } else if (workload === 'latency') {
    const baseP50 = med(ok(base), (r) => r.latency?.p50);
    const baseP99 = med(ok(base), (r) => r.latency?.p99);
    out = table(
      [
        'contender',
        'p50 ms',
        'p99 ms',
        'max ms',
        `p50 / p99 vs ${base}`,
        'p99 each round',
        'jobs counted',
        'client CPU %',
        'broker CPU %',
        'peak RSS MB',
        'peak heap MB',
      ],
      contenders.map((c) => {
        const p50 = med(ok(c), (r) => r.latency?.p50);
        const p99 = med(ok(c), (r) => r.latency?.p99);
        return [
          label(workload, c),
          ms(p50),
          ms(p99),
          ms(med(ok(c), (r) => r.latency?.max)),
          `${ratio(p50, baseP50)} / ${ratio(p99, baseP99)}`,
          rounds(c, (r) => r.latency?.p99 ?? NaN, ms),
          n0(med(ok(c), (r) => r.latency?.count)),
          n0(med(ok(c), (r) => (r.clientCpuMs / r.elapsedMs) * 100)),
          n0(med(ok(c), (r) => (r.brokerCpuMs === undefined ? NaN : (r.brokerCpuMs / r.elapsedMs) * 100))),
          ...memory(c),
        ];
      }),
    );
  } else if (workload === 'delayed') {
    const seconds = (v: number) => (Number.isFinite(v) ? (v / 1000).toFixed(1) : '–');
    out = table(
      [
        'contender',
        'lateness p50 ms',
        'p99 ms',
        'max ms',
        'p99 each round',
        'due jobs started',
        'load far jobs s',
        'far jobs/s',
        'load due jobs s',
        'margin s',
        'storage MB',
        'client CPU %',
        'peak RSS MB',
        'peak heap MB',
      ],
      contenders.map((c) => [
        label(workload, c),
        ms(med(ok(c), (r) => r.lateness?.p50)),
        ms(med(ok(c), (r) => r.lateness?.p99)),
        ms(med(ok(c), (r) => r.lateness?.max)),
        rounds(c, (r) => r.lateness?.p99 ?? NaN, ms),
        n0(med(ok(c), (r) => r.lateness?.count)),
        seconds(med(ok(c), (r) => r.load?.storedMs)),
        n0(med(ok(c), (r) => (r.load ? r.load.storedJobs / (r.load.storedMs / 1000) : NaN))),
        seconds(med(ok(c), (r) => r.load?.dueMs)),
        seconds(med(ok(c), (r) => r.load?.marginMs)),
        n0(med(ok(c), (r) => r.load?.storageMb)),
        n0(med(ok(c), (r) => (r.clientCpuMs / r.elapsedMs) * 100)),
        ...memory(c),
      ]),
    );
  } else if (workload === 'replicas') {
    const baseRate = med(ok(base), (r) => r.rate);
    out = table(
      [
        'worker processes',
        'jobs/s (median)',
        `vs ${base}`,
        'each round',
        'jobs per process (last round)',
        'duplicates (all rounds)',
        'missing (all rounds)',
        'redelivered (all rounds)',
        'peak RSS MB per process',
      ],
      contenders.map((c) => {
        const rate = med(ok(c), (r) => r.rate);
        const last = ok(c).at(-1)?.replicas;
        const total = (pick: (o: NonNullable<RunResult['replicas']>) => number) =>
          ok(c).length === 0
            ? '–'
            : n0(ok(c).reduce((sum, r) => sum + (r.replicas ? pick(r.replicas) : 0), 0));
        return [
          label(workload, c),
          n0(rate),
          ratio(rate, baseRate),
          rounds(c, (r) => r.rate, n0),
          last ? last.perProcess.map(n0).join(' / ') : '–',
          total((o) => o.duplicates),
          total((o) => o.missing),
          total((o) => o.redelivered),
          last ? last.peakRssMb.map(n0).join(' / ') : '–',
        ];
      }),
    );
  } else if (workload === 'outbox') {
    out = table(
      [
        'probe',
        'p50 ms',
        'p99 ms',
        'max ms',
        'p99 each round',
        'rows',
        'client CPU %',
        'broker CPU %',
        'peak RSS MB',
      ],
      contenders.flatMap((c) => {
        const probe = (name: string, pick: (r: RunResult) => Percentiles | undefined) => [
          `${label(workload, c)}: ${name}`,
          ms(med(ok(c), (r) => pick(r)?.p50)),
          ms(med(ok(c), (r) => pick(r)?.p99)),
          ms(med(ok(c), (r) => pick(r)?.max)),
          rounds(c, (r) => pick(r)?.p99 ?? NaN, ms),
          n0(med(ok(c), (r) => pick(r)?.count)),
          n0(med(ok(c), (r) => (r.clientCpuMs / r.elapsedMs) * 100)),
          n0(med(ok(c), (r) => (r.brokerCpuMs === undefined ? NaN : (r.brokerCpuMs / r.elapsedMs) * 100))),
          n0(med(ok(c), (r) => r.peakRssMb)),
        ];
        return [
          probe('immediate row, commit → consumer', (r) => r.latency),
          probe('delayed row, `deliver_at` → consumer', (r) => r.lateness),
        ];
      }),
    );
  } else if (workload === 'export') {
    const exports = ok(contenders[0]).at(-1)?.exports ?? [];
    out = table(
      [
        'format',
        'rows',
        'rows/s',
        'vs 50k rows/s',
        'rows per CPU s',
        'MB/s',
        'file MB',
        'seconds',
        'peak RSS MB',
        'RSS before MB',
        'seeding s',
      ],
      exports.map((e) => [
        e.format,
        n0(e.rows),
        n0(e.rowsPerSecond),
        ratio(e.rowsPerSecond, 50_000),
        n0(e.rowsPerCpuSecond ?? NaN),
        e.mbPerSecond.toFixed(1),
        (e.bytes / 2 ** 20).toFixed(1),
        e.seconds.toFixed(2),
        n0(e.peakRssMb),
        n0(e.rssBeforeMb),
        e.seedSeconds.toFixed(1),
      ]),
    );
  } else {
    out = table(
      [
        'contender',
        'critical wait p50 ms',
        'p99 ms',
        'max ms',
        'p99 each round',
        'critical jobs',
        'low jobs/s meanwhile',
        'peak RSS MB',
        'peak heap MB',
      ],
      contenders.map((c) => [
        label(workload, c),
        ms(med(ok(c), (r) => r.critical?.p50)),
        ms(med(ok(c), (r) => r.critical?.p99)),
        ms(med(ok(c), (r) => r.critical?.max)),
        rounds(c, (r) => r.critical?.p99 ?? NaN, ms),
        n0(med(ok(c), (r) => r.critical?.count)),
        n0(med(ok(c), (r) => r.lowRate)),
        ...memory(c),
      ]),
    );
  }
  const notes: string[] = [];
  for (const c of contenders) {
    for (const failure of failures.get(c) ?? []) notes.push(`- **${c} failed**: ${failure}`);
    for (const [i, r] of ok(c).entries())
      for (const note of r.notes) notes.push(`- ${c} round ${i + 1}: ${note}`);
  }
  return notes.length > 0 ? `${out}\n\n${notes.join('\n')}` : out;
}
