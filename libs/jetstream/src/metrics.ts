import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

interface SubjectTally {
  processed: number;
  failed: number;
  retried: number;
  dead: number;
  discarded: number;
}

type Outcome = keyof SubjectTally;
const Outcomes: Outcome[] = ['processed', 'failed', 'retried', 'dead', 'discarded'];

/**
 * Job counters kept as plain numbers on the hot path and handed to prom-client only when scraped:
 * a prom-client call per message cost about a quarter of the throughput.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly tallies = new Map<string, SubjectTally>();
  private readonly flushed = new Map<string, SubjectTally>();
  private readonly durations: Histogram<'subject'>;
  private readonly durationChildren = new Map<string, { observe(v: number): void }>();
  inFlight = 0;
  private pendingProbe: () => Promise<Record<string, number>> = async () => ({});

  constructor(app: string) {
    this.registry.setDefaultLabels({ app });
    collectDefaultMetrics({ register: this.registry });
    const tallies = this.tallies;
    const flushed = this.flushed;
    for (const outcome of Outcomes) {
      new Counter({
        name: `jobs_${outcome}_total`,
        help: `Jobs ${outcome}, by subject`,
        labelNames: ['subject'],
        registers: [this.registry],
        // Moves the growth of the tally since the last scrape into the counter.
        collect() {
          for (const [subject, tally] of tallies) {
            const before = flushed.get(subject)!;
            const delta = tally[outcome] - before[outcome];
            if (delta > 0) this.inc({ subject }, delta);
            before[outcome] = tally[outcome];
          }
        },
      });
    }
    const inFlight = () => this.inFlight;
    const pendingProbe = () => this.pendingProbe();
    new Gauge({
      name: 'jobs_in_flight',
      help: 'Jobs running in this process now',
      registers: [this.registry],
      collect() {
        this.set(inFlight());
      },
    });
    new Gauge({
      name: 'consumer_pending_messages',
      help: 'Messages in the stream not yet delivered to the consumer, by subject',
      labelNames: ['subject'],
      registers: [this.registry],
      async collect() {
        const pending = await pendingProbe().catch(() => ({}) as Record<string, number>);
        for (const [subject, count] of Object.entries(pending)) this.set({ subject }, count);
      },
    });
    this.durations = new Histogram({
      name: 'job_duration_seconds',
      help: 'Handler run time, by subject',
      labelNames: ['subject'],
      buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600],
      registers: [this.registry],
    });
  }

  register(subject: string): void {
    if (!this.tallies.has(subject)) {
      this.tallies.set(subject, { processed: 0, failed: 0, retried: 0, dead: 0, discarded: 0 });
      this.flushed.set(subject, { processed: 0, failed: 0, retried: 0, dead: 0, discarded: 0 });
      this.durationChildren.set(subject, this.durations.labels({ subject }));
    }
  }

  count(subject: string, outcome: Outcome): void {
    this.tallies.get(subject)![outcome]++;
  }

  observeDuration(subject: string, ms: number): void {
    this.durationChildren.get(subject)!.observe(ms / 1000);
  }

  snapshot(): Record<string, SubjectTally> {
    return Object.fromEntries([...this.tallies].map(([subject, tally]) => [subject, { ...tally }]));
  }

  setPendingProbe(probe: () => Promise<Record<string, number>>): void {
    this.pendingProbe = probe;
  }
}
