import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { CloudEventHeaders } from '@lib/contracts';
import { runCli, startNatsServer, type NatsServerHandle } from '@lib/testing';
import { DeadLetters } from '../dead-letters';
import { envelopeHeaders } from '../envelope';
import { DefaultStreamSettings, ensureStreams } from '../provisioning';

describe('operator CLI (tools/cli/main.ts as a child process)', () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, DefaultStreamSettings);
  });

  afterAll(async () => {
    await nc?.close();
    await server?.cleanup();
  });

  it('publishes a valid event, rejects an invalid one naming the field, lists DLQ as JSON', async () => {
    const subject = 'jobs.notifier.send-digest';
    await new DeadLetters(nc.jetstream(), 'notifier').publish({
      subject,
      data: Buffer.from(JSON.stringify({ userId: 1 })),
      headers: envelopeHeaders({ subject, source: 'urn:test' }).headers,
      stream: 'JOBS',
      streamSeq: 1,
      consumer: 'notifier__jobs_notifier_send-digest',
      reason: 'exhausted',
      error: { message: 'smtp said no' },
      attempts: 25,
    });
    const closed = { pollId: 12, reason: 'manual', closedAt: '2024-05-01T10:00:00Z' };
    const withoutClosedAt = { pollId: 12, reason: 'manual' };

    // In parallel: each run pays the ts-node start-up.
    const [published, invalid, listed] = await Promise.all([
      runCliOn(server.url, [
        'publish',
        'events.poll.closed',
        JSON.stringify(closed),
        '--id',
        'cli-test-1',
        '--json',
      ]),
      runCliOn(server.url, ['publish', 'events.poll.closed', JSON.stringify(withoutClosedAt)]),
      runCliOn(server.url, ['dlq', 'list', '--json']),
    ]);

    expect(published).toMatchObject({ code: 0, stderr: '' });
    const result = JSON.parse(published.stdout);
    expect(result).toMatchObject({ subject: 'events.poll.closed', id: 'cli-test-1', stream: 'EVENTS' });
    expect(result).toMatchObject({ duplicate: false, dropped: false });
    const stored = await jsm.streams.getMessage('EVENTS', { seq: result.seq });
    expect(stored.subject).toBe('events.poll.closed');
    expect(stored.header.get(CloudEventHeaders.id)).toBe('cli-test-1');
    expect(stored.header.get(CloudEventHeaders.source)).toBe('urn:loomio-workers:cli');
    expect(stored.json()).toEqual(closed);

    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/^error: Invalid payload for events\.poll\.closed[\s\S]*at closedAt/);
    expect(invalid.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // an expected error: no stack trace

    expect(listed.code).toBe(0);
    const page = JSON.parse(listed.stdout);
    expect(page).toMatchObject({ letters: [{ subject, reason: 'exhausted' }], nextSeq: null, total: 1 });
  });
});

/** The operator CLI pointed at the private server only (never the shared one). */
function runCliOn(natsUrl: string, args: string[]) {
  return runCli(args, { NATS_URL: natsUrl }, 30_000);
}
