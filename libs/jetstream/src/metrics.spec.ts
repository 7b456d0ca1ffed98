import { Histogram, Registry, type Metric } from 'prom-client';
import { SubjectDurations, WorkerMetrics } from './metrics';

/** Exposition lines with each line's labels sorted: Prometheus reads label pairs in any order. */
function normalized(text: string): string[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) =>
      line.replace(/\{([^}]*)\}/, (_, labels: string) => `{${labels.split(',').sort().join(',')}}`),
    );
}

const bounds = [0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600];

describe('job duration histogram', () => {
  it("exposes exactly the lines prom-client's own histogram does for the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    for (const registry of [ours, theirs]) registry.setDefaultLabels({ app: 'notifier' });
    const durations = new SubjectDurations('job_duration_seconds', 'Handler run time, by subject', bounds);
    ours.registerMetric(durations as unknown as Metric);
    const reference = new Histogram({
      name: 'job_duration_seconds',
      help: 'Handler run time, by subject',
      labelNames: ['subject'],
      buckets: bounds,
      registers: [theirs],
    });
    // On a bound, between bounds, beyond the last one, and a subject that never ran.
    const observations: [string, number][] = [
      ['jobs.notifier.deliver-email', 0.001],
      ['jobs.notifier.deliver-email', 0.0004],
      ['jobs.notifier.deliver-email', 0.3],
      ['jobs.notifier.deliver-email', 900],
      ['jobs.notifier.post-to-chatbot', 2.5],
    ];
    for (const subject of [...new Set(observations.map(([subject]) => subject)), 'jobs.notifier.idle']) {
      durations.register(subject);
      reference.zero({ subject });
    }
    for (const [subject, seconds] of observations) {
      durations.observe(subject, seconds);
      reference.observe({ subject }, seconds);
    }
    expect(normalized(await ours.metrics())).toEqual(normalized(await theirs.metrics()));
  });

  it('is what a worker exposes on /metrics, by subject', async () => {
    const metrics = new WorkerMetrics('poller');
    metrics.register('jobs.poller.close-poll');
    metrics.observeDuration('jobs.poller.close-poll', 12);
    metrics.observeDuration('jobs.poller.close-poll', 40);
    const text = await metrics.registry.metrics();
    expect(text).toContain('# TYPE job_duration_seconds histogram');
    expect(text).toContain(
      'job_duration_seconds_bucket{le="0.025",subject="jobs.poller.close-poll",app="poller"} 1',
    );
    expect(text).toContain(
      'job_duration_seconds_bucket{le="0.1",subject="jobs.poller.close-poll",app="poller"} 2',
    );
    expect(text).toContain('job_duration_seconds_count{subject="jobs.poller.close-poll",app="poller"} 2');
    expect(text).toContain('job_duration_seconds_sum{subject="jobs.poller.close-poll",app="poller"} 0.052');
  });
});
