import { parseHeartbeat } from './worker-admin';

describe('parseHeartbeat', () => {
  it('reads a heartbeat as the runtime writes it', () => {
    const beat = parseHeartbeat(
      'notifier.web-1.42',
      JSON.stringify({
        app: 'notifier',
        host: 'web-1',
        pid: 42,
        version: '1.2.0',
        slots: 50,
        inFlight: 1,
        waiting: 3,
        startedAt: '2026-11-24T10:00:00.000Z',
        beatAt: '2026-11-24T10:05:00.000Z',
        jobs: [{ subject: 'jobs.notifier.deliver-email', jobId: 'j-1', runningForMs: 1200 }],
        totals: {
          'jobs.notifier.deliver-email': { processed: 9, failed: 1, retried: 1, dead: 0, discarded: 0 },
        },
      }),
    );
    expect(beat).toMatchObject({
      key: 'notifier.web-1.42',
      app: 'notifier',
      slots: 50,
      jobs: [{ subject: 'jobs.notifier.deliver-email', jobId: 'j-1', runningForMs: 1200 }],
      totals: { 'jobs.notifier.deliver-email': { processed: 9, failed: 1 } },
    });
  });

  it('tolerates heartbeats of older workers and skips entries that are not JSON objects', () => {
    expect(parseHeartbeat('poller.h.1', JSON.stringify({ host: 'h', pid: '7', jobs: 'none' }))).toMatchObject(
      {
        app: 'poller',
        pid: 0,
        jobs: [],
        totals: {},
      },
    );
    expect(parseHeartbeat('x', 'not json')).toBeNull();
    expect(parseHeartbeat('x', '[1,2]')).toBeNull();
  });
});
