import { connect, type NatsConnection } from 'nats';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { OutboxRelay, type RunningService } from '@lib/jetstream';
import {
  createMigratedTestDatabase,
  startNatsServer,
  startServiceUnderTest,
  startSmtpCapture,
  waitFor,
  type NatsServerHandle,
  type SmtpCaptureHandle,
  type TestDatabase,
  openTestDataSource,
} from '@lib/testing';
import { NotifierConfigSchema } from '../../notifier/src/config';
import { NotifierModule } from '../../notifier/src/notifier.module';
import { JanitorConfigSchema } from '../src/config';
import { JanitorModule } from '../src/janitor.module';
import { JanitorWorld } from './janitor-world';

/** The whole erasure with the real notifier: the confirmation reaches the old address before it is erased. */
describe('redact-user with the notifier (real NATS, PostgreSQL and SMTP)', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let smtp: SmtpCaptureHandle;
  let db: DataSource;
  let client: NatsConnection;
  let relay: OutboxRelay;
  const services: RunningService[] = [];

  beforeAll(async () => {
    [nats, database, smtp] = await Promise.all([
      startNatsServer(),
      createMigratedTestDatabase(),
      startSmtpCapture(),
    ]);
    db = await openTestDataSource(database.url);
    services.push(
      await startServiceUnderTest({
        name: 'janitor',
        module: JanitorModule,
        configSchema: JanitorConfigSchema,
        natsUrl: nats.url,
        databaseUrl: database.url,
        env: { REDACTION_MAIL_POLL_MS: '100', ACK_WAIT_MS: '2000' },
      }),
      await startServiceUnderTest({
        name: 'notifier',
        module: NotifierModule,
        configSchema: NotifierConfigSchema,
        natsUrl: nats.url,
        databaseUrl: database.url,
        env: { SMTP_URL: smtp.url },
      }),
    );
    client = await connect({ servers: nats.url });
    relay = new OutboxRelay(db, client.jetstream(), database.url, pino({ level: 'silent' }));
    await relay.start();
  });

  afterAll(async () => {
    await relay?.stop();
    for (const service of services) await service.stop();
    await client?.close();
    await smtp?.stop();
    await db?.destroy();
    await nats?.cleanup();
    await database?.drop();
  });

  it('mails the confirmation to the old address, then erases it', async () => {
    const email = 'grace.hopper@example.org';
    const userId = await new JanitorWorld(db).user({ name: 'Grace Hopper', email, username: 'grace' });

    await client.jetstream().publish('jobs.janitor.redact-user', JSON.stringify({ userId }));

    const [mail] = await smtp.waitForMessages(1, 20_000);
    expect(mail.to).toEqual([email]);
    // Erasure polls for the final delivery; a poll's redelivery can take up to the ack wait.
    await waitFor(
      async () => {
        const [user] = await db.query(`SELECT email FROM users WHERE id = $1`, [userId]);
        return user.email === null;
      },
      { timeoutMs: 30_000, description: 'the erasure' },
    );
    const deliveries = await db.query(
      `SELECT status, to_address FROM mail_deliveries WHERE recipient_id = $1`,
      [userId],
    );
    expect(deliveries).toEqual([{ status: 'sent', to_address: null }]);
  });
});
