import { connect, type NatsConnection } from 'nats';
import type { DataSource } from 'typeorm';
import type { RunningService } from '@lib/jetstream';
import {
  createMigratedTestDatabase,
  startNatsServer,
  startServiceUnderTest,
  type NatsServerHandle,
  type TestDatabase,
  openTestDataSource,
} from '@lib/testing';
import { JanitorConfigSchema } from '../src/config';
import { JanitorModule } from '../src/janitor.module';
import { JanitorWorld } from './janitor-world';

/** A janitor app on a private nats-server and database, with a client and the world to build rows in. */
export interface JanitorUnderTest {
  nats: NatsServerHandle;
  database: TestDatabase;
  db: DataSource;
  janitor: RunningService;
  client: NatsConnection;
  world: JanitorWorld;
  stop(): Promise<void>;
}

export async function startJanitorUnderTest(env: Record<string, string> = {}): Promise<JanitorUnderTest> {
  const [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
  const db = await openTestDataSource(database.url);
  const janitor = await startServiceUnderTest({
    name: 'janitor',
    module: JanitorModule,
    configSchema: JanitorConfigSchema,
    natsUrl: nats.url,
    databaseUrl: database.url,
    env,
  });
  const client = await connect({ servers: nats.url });
  return {
    nats,
    database,
    db,
    janitor,
    client,
    world: new JanitorWorld(db),
    async stop() {
      await janitor.stop();
      await client.close();
      await db.destroy();
      await nats.cleanup();
      await database.drop();
    },
  };
}
