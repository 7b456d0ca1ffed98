import { readFileSync } from 'node:fs';
import type { Percentiles, RunResult } from './settings';

const MB = 1024 * 1024;
/** USER_HZ: /proc reports CPU time in these ticks; 100 on every Linux this runs on. */
const TICK_MS = 10;

/** CPU time (user + system) of other processes, read from /proc; undefined where that is not possible. */
export function processCpuMs(pids: readonly number[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name may contain spaces; fields after its closing parenthesis are fixed.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    } catch {
      return undefined;
    }
  }
  return total;
}

/**
 * The measured window of one run: wall time, this process's CPU, the broker's CPU, and the peak RSS and
 * heap sampled every 50 ms while the window is open.
 */
export class Meter {
  private startedAt = 0;
  private endedAt = 0;
  private cpuAtStart?: NodeJS.CpuUsage;
  private cpu?: NodeJS.CpuUsage;
  private brokerAtStart?: number;
  private brokerMs?: number;
  private peakRss = 0;
  private peakHeap = 0;
  private sampler?: NodeJS.Timeout;

  constructor(private readonly brokerPids: readonly number[]) {}

  get started(): boolean {
    return this.startedAt > 0;
  }

  get ended(): boolean {
    return this.endedAt > 0;
  }

  begin(): void {
    if (this.started) return;
    this.startedAt = performance.now();
    this.cpuAtStart = process.cpuUsage();
    this.brokerAtStart = processCpuMs(this.brokerPids);
    this.sample();
    this.sampler = setInterval(() => this.sample(), 50);
    this.sampler.unref();
  }

  end(): void {
    if (!this.started || this.ended) return;
    this.endedAt = performance.now();
    this.cpu = process.cpuUsage(this.cpuAtStart);
    const broker = processCpuMs(this.brokerPids);
    this.brokerMs =
      broker !== undefined && this.brokerAtStart !== undefined ? broker - this.brokerAtStart : undefined;
    this.sample();
    clearInterval(this.sampler);
  }

  get elapsedMs(): number {
    return (this.ended ? this.endedAt : performance.now()) - this.startedAt;
  }

  result(jobs: number, extra: Partial<RunResult> = {}, rateJobs = jobs): RunResult {
    if (!this.ended) this.end();
    const elapsedMs = this.elapsedMs;
    return {
      jobs,
      elapsedMs,
      rate: elapsedMs > 0 ? (rateJobs / elapsedMs) * 1000 : 0,
      clientCpuMs: this.cpu ? (this.cpu.user + this.cpu.system) / 1000 : 0,
      brokerCpuMs: this.brokerMs,
      peakRssMb: this.peakRss / MB,
      peakHeapMb: this.peakHeap / MB,
      notes: [],
      ...extra,
    };
  }

  private sample(): void {
    const usage = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, usage.rss);
    this.peakHeap = Math.max(this.peakHeap, usage.heapUsed);
  }
}

/** Resolves once `target` jobs were handled; the meter's window runs from the first job to the last. */
export class CountingSink {
  count = 0;
  readonly done: Promise<void>;
  private resolve!: () => void;

  constructor(
    readonly target: number,
    private readonly meter: Meter,
  ) {
    this.done = new Promise((resolve) => (this.resolve = resolve));
  }

  hit(): void {
    if (this.count === 0) this.meter.begin();
    if (++this.count === this.target) {
      this.meter.end();
      this.resolve();
    }
  }
}

/** Collects `now - sentAt` of every job after the warm-up; resolves once all `target` jobs arrived. */
export class LatencySink {
  count = 0;
  readonly samples: number[] = [];
  readonly done: Promise<void>;
  private resolve!: () => void;

  constructor(
    private readonly target: number,
    private readonly warmupJobs: number,
  ) {
    this.done = new Promise((resolve) => (this.resolve = resolve));
  }

  hit(n: number, sentAt: number): void {
    if (n >= this.warmupJobs) this.samples.push(performance.now() - sentAt);
    if (++this.count === this.target) this.resolve();
  }
}

export function percentiles(samples: readonly number[]): Percentiles {
  if (samples.length === 0) return { count: 0, p50: NaN, p99: NaN, max: NaN };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
}

export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const mid = Math.floor(finite.length / 2);
  return finite.length % 2 === 1 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
}

/** Fails with what was reached so far when `promise` does not settle in time. */
export async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what()}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function waitUntil(condition: () => boolean, pollMs = 5): Promise<void> {
  while (!condition()) await sleep(pollMs);
}

/** Waits of critical jobs (priority workload); those sent during the warm-up are received but not counted. */
export class CriticalSink {
  received = 0;
  readonly waits: number[] = [];
  readonly warmupJobs: number;

  constructor(settings: { criticalEveryMs: number; warmupMs: number }) {
    this.warmupJobs = Math.ceil(settings.warmupMs / settings.criticalEveryMs);
  }

  hit(n: number, sentAt: number): void {
    this.received++;
    if (n >= this.warmupJobs) this.waits.push(performance.now() - sentAt);
  }
}

/** Wall-clock time with sub-millisecond resolution, comparable across processes (unlike `performance.now()`). */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
