import { Injectable } from '@nestjs/common';
import {
  OperatorAdmin,
  OutcomeNames,
  Streams,
  subjectMatches,
  type ConsumerSummary,
  type DeadLetterDetail,
  type DeadLetterPage,
  type StreamSummary,
  type WorkerHeartbeat,
} from '@lib/jetstream';
import { maskHeaders, maskText, maskValue } from './masking/mask';
import { zeroCounts, type MinutePoint, type OutcomeCounts } from './overview/job-history';
import { HistorySampler } from './overview/history-sampler.service';
import { ScheduledJobs, type ScheduledKind, type ScheduledPage } from './scheduled/scheduled-jobs';

export interface Overview {
  lastHour: OutcomeCounts;
  /** Cumulative counters of the worker processes alive now, since each started. */
  sinceWorkersStarted: OutcomeCounts;
  busy: number;
  slots: number;
  workers: number;
  queued: number;
  scheduled: number;
  dead: number;
  perMinute: MinutePoint[];
  bySubject: { subject: string; counts: OutcomeCounts }[];
}

export interface ConsumerView extends ConsumerSummary {
  /** Jobs finished per minute on this consumer's subjects, averaged over the last five minutes. */
  ratePerMinute: number;
}

/** What the pages and the JSON API show; secrets and personal fields are masked here, once. */
@Injectable()
export class DashboardData {
  constructor(
    private readonly admin: OperatorAdmin,
    private readonly scheduledJobs: ScheduledJobs,
    private readonly sampler: HistorySampler,
  ) {}

  async overview(now = Date.now()): Promise<Overview> {
    const [workers, streams, scheduled, dead] = await Promise.all([
      this.workers(),
      this.admin.streams.streams(),
      this.scheduledJobs.list(1),
      this.admin.deadLetters.count(),
    ]);
    const sinceWorkersStarted = zeroCounts();
    for (const worker of workers) {
      for (const tally of Object.values(worker.totals)) {
        for (const outcome of OutcomeNames) sinceWorkersStarted[outcome] += tally[outcome];
      }
    }
    const perMinute = this.sampler.history.series(now);
    const lastHour = zeroCounts();
    for (const point of perMinute) for (const outcome of OutcomeNames) lastHour[outcome] += point[outcome];
    const bySubject = [...this.sampler.history.bySubject(now, 60)]
      .filter(([, counts]) => OutcomeNames.some((outcome) => counts[outcome] > 0))
      .map(([subject, counts]) => ({ subject, counts }))
      .sort((a, b) => a.subject.localeCompare(b.subject));
    return {
      lastHour,
      sinceWorkersStarted,
      busy: workers.reduce((sum, w) => sum + w.inFlight, 0),
      slots: workers.reduce((sum, w) => sum + w.slots, 0),
      workers: workers.length,
      queued: streams.find((s) => s.name === Streams.jobs.name)?.messages ?? 0,
      scheduled: scheduled.total,
      dead,
      perMinute,
      bySubject,
    };
  }

  async streams(now = Date.now()): Promise<{ streams: StreamSummary[]; consumers: ConsumerView[] }> {
    const streams = await this.admin.streams.streams();
    // KV buckets' consumers are short-lived watchers, not work anyone waits for (and the dashboard's
    // NATS user may not list them).
    const workStreams = streams.filter((stream) => !stream.name.startsWith('KV_'));
    const consumers = (
      await Promise.all(workStreams.map((stream) => this.admin.streams.consumers(stream.name)))
    ).flat();
    const recent = this.sampler.history.byAppSubject(now, 5);
    return {
      streams,
      consumers: consumers.map((consumer) => {
        // Durable names are `<app>__<subject>` (durableName): the app says whose counters are this consumer's.
        const app = consumer.name.includes('__') ? consumer.name.split('__')[0] : null;
        const filters = consumer.filterSubject?.split(',') ?? ['>'];
        let finished = 0;
        for (const [key, counts] of recent) {
          const [countedApp, subject] = key.split(' ');
          if (countedApp !== app || !filters.some((filter) => subjectMatches(filter, subject))) continue;
          finished += counts.processed + counts.dead + counts.discarded;
        }
        return { ...consumer, ratePerMinute: Math.round((finished / 5) * 10) / 10 };
      }),
    };
  }

  /** Processes that consume subjects; the dashboard's own heartbeat (it consumes none) is left out. */
  async workers(): Promise<WorkerHeartbeat[]> {
    return (await this.admin.workers.list()).filter((worker) => Object.keys(worker.totals).length > 0);
  }

  async scheduled(limit: number, offset: number, kind: ScheduledKind = 'all'): Promise<ScheduledPage> {
    const page = await this.scheduledJobs.list(limit, offset, kind);
    return {
      total: page.total,
      jobs: page.jobs.map((job) => ({
        ...job,
        headers: Object.fromEntries(
          Object.entries(maskHeaders(job.headers)).map(([name, values]) => [name, values.join(', ')]),
        ),
        payload: maskValue(job.payload),
        lastError: job.lastError === null ? null : maskText(job.lastError),
      })),
    };
  }

  async deadLetters(subject: string | undefined, fromSeq: number | undefined): Promise<DeadLetterPage> {
    const page = await this.admin.deadLetters.list({ subject, fromSeq, limit: 50 });
    return { ...page, letters: page.letters.map((letter) => ({ ...letter, error: maskText(letter.error) })) };
  }

  async deadLetter(seq: number): Promise<DeadLetterDetail> {
    const letter = await this.admin.deadLetters.inspect(seq);
    const body =
      letter.body.encoding === 'json'
        ? { encoding: 'json' as const, value: maskValue(letter.body.value) }
        : // Not JSON, so not ours: it may be anything, and there are no keys to tell what is personal.
          { encoding: 'base64' as const, value: `[${letter.size} bytes, not JSON: hidden]` };
    return { ...letter, error: maskText(letter.error), headers: maskHeaders(letter.headers), body };
  }
}
