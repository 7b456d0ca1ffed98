import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { DeadLetterHeaders } from '@lib/contracts';
import { JetStreamPublisher } from '@lib/jetstream';
import {
  createMigratedTestDatabase,
  spawnScript,
  startNatsServer,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@lib/testing';
import { TestkitContracts } from '../../libs/jetstream/test/fixtures/testkit-contracts';
import { LeakyDatabaseUrl, LeakyEmail, LeakyPassword } from './fixtures/leaky-worker';

/*
 * A job fails with an error message holding a database password and an e-mail address. Neither may reach
 * the service's log (retries and the dead-letter line) nor the DLQ's error and stack headers.
 */
describe('log scrubbing of a failing job', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let client: NatsConnection;

  beforeAll(async () => {
    [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
    client = await connect({ servers: nats.url });
  });

  afterAll(async () => {
    await client?.close();
    await nats?.cleanup();
    await database?.drop();
  });

  it('masks credentials and e-mail addresses in log lines and dead-letter headers', async () => {
    let ready = false;
    client.subscribe('leaky.ready', { callback: () => (ready = true) });
    await client.flush();
    const leaky = spawnScript(
      join(__dirname, 'fixtures/leaky-worker.ts'),
      { natsUrl: nats.url, databaseUrl: database.url },
      { LOG_LEVEL: 'info' },
    );
    try {
      // ts-node compiles the app graph first: on a loaded machine that alone takes tens of seconds.
      await waitFor(
        () => {
          if (leaky.child.exitCode !== null) throw new Error(`the leaky worker exited: ${leaky.output()}`);
          return ready;
        },
        { timeoutMs: 90_000, description: 'the leaky worker to start' },
      );
      const publisher = new JetStreamPublisher(client.jetstream(), TestkitContracts, 'urn:test');
      await publisher.publish('jobs.testkit.work', { id: 1 });
      const jsm = await client.jetstreamManager();
      // Three attempts (fixed 100 ms backoff), then the dead letter.
      const dead = await waitFor(
        () => jsm.streams.getMessage('DLQ', { last_by_subj: 'dlq.jobs.testkit.work' }).catch(() => null),
        { timeoutMs: 20_000, description: 'the dead letter' },
      );
      await waitFor(() => leaky.output().includes('job moved to the DLQ'), {
        description: 'the dead-letter log line',
      });

      const error = dead.header.get(DeadLetterHeaders.error);
      const stack = dead.header.get(DeadLetterHeaders.stack);
      const output = leaky.output();
      const lines = output.split('\n').filter((line) => line.includes('could not reach'));
      expect(lines.length).toBe(3); // two "will retry" lines and the dead-letter line, each with the error
      for (const text of [error, stack, output]) {
        expect(text).not.toContain(LeakyPassword);
        expect(text).not.toContain(LeakyEmail);
        expect(text).not.toContain(LeakyDatabaseUrl);
      }
      // Still useful for an operator: where it failed, with the secret parts masked (a `password=` value is
      // masked up to the next blank, closing parenthesis included: better than leaving a password's tail).
      expect(error).toBe(
        'could not reach postgres://[redacted]@db.internal:5432/loomio while mailing [email] (smtp said: 550 <[email]> password=[redacted]',
      );
      for (const line of lines) expect(line).toContain('postgres://[redacted]@db.internal:5432/loomio');
      expect(lines.every((line) => JSON.parse(line).err.message === error)).toBe(true);
    } finally {
      leaky.child.kill('SIGTERM');
      await leaky.exited;
    }
  }, 150_000);
});
