import { connect, type NatsConnection } from 'nats';
import { runCli, startNatsServer, type NatsServerHandle } from '@lib/testing';
import { RateLimitAdmin } from '@lib/jetstream';

describe('operator CLI for paused rate-limit keys', () => {
  let nats: NatsServerHandle;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
  });

  afterAll(async () => {
    await nc?.close();
    await nats?.cleanup();
  });

  it('lists paused keys as a table and as JSON, and resumes one for every worker', async () => {
    const admin = await RateLimitAdmin.open(nc);
    const consumer = 'notifier__jobs_notifier_post-to-chatbot';
    const until = await admin.pauseKey(
      { consumer, subject: 'jobs.notifier.post-to-chatbot', key: 'chatbot-42' },
      3600_000,
      'HTTP 429',
    );
    // A second key, ending sooner: listed first (every key, not only the first the bucket returns).
    const sooner = await admin.pauseKey(
      { consumer, subject: 'jobs.notifier.post-to-chatbot', key: 'chatbot-7' },
      600_000,
      'HTTP 429',
    );
    const [table, json] = await Promise.all([
      runCli(['rate-limits', 'paused'], { NATS_URL: nats.url }),
      runCli(['--json', 'rate-limits', 'paused'], { NATS_URL: nats.url }),
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      new RegExp(`${consumer} +chatbot-42 +${until.toISOString().slice(0, 19).replace('T', ' ')} +HTTP 429`),
    );
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ consumer, key: 'chatbot-7', until: sooner.toISOString() }),
      expect.objectContaining({
        consumer,
        key: 'chatbot-42',
        until: until.toISOString(),
        reason: 'HTTP 429',
      }),
    ]);

    const resumed = await runCli(['rate-limits', 'resume', consumer, 'chatbot-42'], { NATS_URL: nats.url });
    expect(resumed.code).toBe(0);
    expect((await admin.listPausedKeys()).map((pause) => pause.key)).toEqual(['chatbot-7']);
  }, 90_000);
});
