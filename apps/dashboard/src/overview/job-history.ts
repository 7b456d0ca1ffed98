import { OutcomeNames, type SubjectTotals, type WorkerHeartbeat } from '@lib/jetstream';

export type Outcome = (typeof OutcomeNames)[number];
export type OutcomeCounts = Record<Outcome, number>;

export interface MinuteBucket {
  /** Start of the minute, epoch ms. */
  minute: number;
  /** Keyed by `<app> <subject>`: two apps consuming one event subject are counted apart. */
  byAppSubject: Map<string, OutcomeCounts>;
}

export interface MinutePoint extends OutcomeCounts {
  minute: string;
}

interface WorkerMemory {
  startedAt: string;
  totals: Record<string, SubjectTotals>;
  seenAt: number;
}

const MinuteMs = 60_000;
/** A heartbeat missing from a sample or two (a slow put) must not make its totals count twice later. */
const ForgetWorkerAfterMs = 10 * MinuteMs;

export function zeroCounts(): OutcomeCounts {
  return { processed: 0, failed: 0, retried: 0, dead: 0, discarded: 0 };
}

/**
 * Turns the cumulative counters of worker heartbeats into per-minute differences. Each sample is compared
 * with the previous one of the same process: a counter that went down, or a new `startedAt`, means the
 * process restarted and everything it reports now happened since. A process first seen after the first
 * sample started since then, so its totals count in full; those present at the first sample are only a
 * baseline (what they did before the dashboard watched cannot be placed in a minute).
 */
export class JobHistory {
  private readonly memory = new Map<string, WorkerMemory>();
  private readonly buckets: MinuteBucket[] = [];
  private lastSampleAt: number | null = null;

  constructor(private readonly keepMinutes = 60) {}

  record(workers: WorkerHeartbeat[], now: number): void {
    const firstSample = this.lastSampleAt === null;
    const bucket = this.bucketFor(now);
    for (const worker of workers) {
      const previous = this.memory.get(worker.key);
      const restarted = previous !== undefined && previous.startedAt !== worker.startedAt;
      const countInFull = restarted || (previous === undefined && !firstSample);
      for (const [subject, totals] of Object.entries(worker.totals)) {
        const before = restarted ? undefined : previous?.totals[subject];
        // A subject a known process reports for the first time started counting since the last sample.
        const delta = before ? difference(totals, before) : countInFull || previous ? totals : null;
        if (delta) addTo(bucket, `${worker.app} ${subject}`, delta);
      }
      this.memory.set(worker.key, { startedAt: worker.startedAt, totals: worker.totals, seenAt: now });
    }
    for (const [key, memory] of this.memory) {
      if (now - memory.seenAt > ForgetWorkerAfterMs) this.memory.delete(key);
    }
    this.lastSampleAt = now;
    this.prune(now);
  }

  /** One point per minute of the window ending at `now`, oldest first, zero where nothing happened. */
  series(now: number, minutes = this.keepMinutes): MinutePoint[] {
    const current = floorMinute(now);
    const points: MinutePoint[] = [];
    for (let i = minutes - 1; i >= 0; i--) {
      const minute = current - i * MinuteMs;
      const bucket = this.buckets.find((b) => b.minute === minute);
      const counts = zeroCounts();
      for (const tally of bucket?.byAppSubject.values() ?? []) add(counts, tally);
      points.push({ minute: new Date(minute).toISOString(), ...counts });
    }
    return points;
  }

  /** Outcome counts per subject, all apps together, over the last `minutes` (the current one included). */
  bySubject(now: number, minutes: number): Map<string, OutcomeCounts> {
    return this.sum(now, minutes, (key) => key.slice(key.indexOf(' ') + 1));
  }

  /** The same per app and subject, keyed `<app> <subject>`: what one app's durable consumer got done. */
  byAppSubject(now: number, minutes: number): Map<string, OutcomeCounts> {
    return this.sum(now, minutes, (key) => key);
  }

  private sum(now: number, minutes: number, group: (key: string) => string): Map<string, OutcomeCounts> {
    const since = floorMinute(now) - (minutes - 1) * MinuteMs;
    const result = new Map<string, OutcomeCounts>();
    for (const bucket of this.buckets) {
      if (bucket.minute < since) continue;
      for (const [key, tally] of bucket.byAppSubject) {
        const counts = result.get(group(key)) ?? zeroCounts();
        add(counts, tally);
        result.set(group(key), counts);
      }
    }
    return result;
  }

  private bucketFor(now: number): MinuteBucket {
    const minute = floorMinute(now);
    let bucket = this.buckets.find((b) => b.minute === minute);
    if (!bucket) {
      bucket = { minute, byAppSubject: new Map() };
      this.buckets.push(bucket);
    }
    return bucket;
  }

  private prune(now: number): void {
    const oldest = floorMinute(now) - (this.keepMinutes - 1) * MinuteMs;
    while (this.buckets.length > 0 && this.buckets[0].minute < oldest) this.buckets.shift();
  }
}

/** Per-outcome increase; a counter that went down restarted from zero, so its whole value is new. */
function difference(current: SubjectTotals, before: SubjectTotals): OutcomeCounts {
  const delta = zeroCounts();
  const reset = OutcomeNames.some((outcome) => current[outcome] < before[outcome]);
  for (const outcome of OutcomeNames)
    delta[outcome] = reset ? current[outcome] : current[outcome] - before[outcome];
  return delta;
}

function addTo(bucket: MinuteBucket, key: string, delta: OutcomeCounts): void {
  const counts = bucket.byAppSubject.get(key) ?? zeroCounts();
  add(counts, delta);
  bucket.byAppSubject.set(key, counts);
}

function add(target: OutcomeCounts, delta: OutcomeCounts): void {
  for (const outcome of OutcomeNames) target[outcome] += delta[outcome];
}

function floorMinute(ms: number): number {
  return Math.floor(ms / MinuteMs) * MinuteMs;
}
