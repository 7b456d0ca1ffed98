import type { NatsConnection } from 'nats';
import type { DataSource } from 'typeorm';
import type { RunningService } from '@lib/jetstream';
import {
  startServiceUnderTest,
  startTestServers,
  type NatsServerHandle,
  type TestDatabase,
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
  const servers = await startTestServers();
  const { nats, database, db, client } = servers;
  const janitor = await startServiceUnderTest({
    name: 'janitor',
    module: JanitorModule,
    configSchema: JanitorConfigSchema,
    natsUrl: nats.url,
    databaseUrl: database.url,
    env,
  });
  return {
    nats,
    database,
    db,
    janitor,
    client,
    world: new JanitorWorld(db),
    async stop() {
      await janitor.stop();
      await servers.stop();
    },
  };
}
