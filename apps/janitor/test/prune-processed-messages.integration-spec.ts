import type { NatsConnection } from 'nats';
import { Inbox } from '@lib/db';
import type { RunningService } from '@lib/jetstream';
import {
  startServiceUnderTest,
  startTestServers,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
  type TestServers,
} from '@lib/testing';
import type { DataSource } from 'typeorm';
import { JanitorConfigSchema } from '../src/config';
import { JanitorModule } from '../src/janitor.module';

describe('janitor: prune-processed-messages', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let servers: TestServers;
  let dataSource: DataSource;
  let janitor: RunningService;
  let client: NatsConnection;

  beforeAll(async () => {
    servers = await startTestServers();
    ({ nats, database, db: dataSource, client } = servers);
    janitor = await startServiceUnderTest({
      name: 'janitor',
      module: JanitorModule,
      configSchema: JanitorConfigSchema,
      natsUrl: nats.url,
      databaseUrl: database.url,
    });
  });

  afterAll(async () => {
    await janitor?.stop();
    await servers?.stop();
  });

  it('runs a job published with the plain nats client and forgets only the old marks', async () => {
    const inbox = new Inbox(dataSource);
    await inbox.once('poller__events_stance_created', 'old', async () => undefined);
    await inbox.once('poller__events_stance_created', 'recent', async () => undefined);
    await dataSource.query(
      `UPDATE processed_messages SET processed_at = now() - interval '10 days' WHERE msg_id = 'old'`,
    );

    // No headers, no envelope: any system can ask for it.
    await client
      .jetstream()
      .publish('jobs.janitor.prune-processed-messages', JSON.stringify({ olderThanDays: 7 }));

    await waitFor(async () => {
      const rows = (await dataSource.query(`SELECT msg_id FROM processed_messages`)) as { msg_id: string }[];
      return rows.length === 1 && rows[0].msg_id === 'recent';
    });
  });

  it('dead-letters a malformed request on its first delivery', async () => {
    const ack = await client
      .jetstream()
      .publish('jobs.janitor.prune-processed-messages', JSON.stringify({ olderThanDays: 0 }));
    const jsm = await client.jetstreamManager();
    const letter = await waitFor(async () => {
      const info = await jsm.streams.info('DLQ');
      return info.state.messages > 0 ? jsm.streams.getMessage('DLQ', { seq: info.state.last_seq }) : null;
    });
    expect(letter.header.get('Dlq-Reason')).toBe('invalid-payload');
    expect(letter.header.get('Dlq-Stream-Seq')).toBe(String(ack.seq));
    expect(letter.header.get('Dlq-Error')).toMatch(/olderThanDays/);
  });
});
