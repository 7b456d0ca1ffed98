import { connect, type NatsConnection } from 'nats';
import type { DataSource } from 'typeorm';
import { createMigratedTestDatabase, openTestDataSource } from './migrated-database';
import { startNatsServer, type NatsServerHandle } from './nats-server';
import type { TestDatabase } from './test-database';

/** What an app's integration test runs against: private servers of its own, and a client of each. */
export interface TestServers {
  nats: NatsServerHandle;
  /** A migrated database of its own. */
  database: TestDatabase;
  /** Every entity, connected to `database`. */
  db: DataSource;
  client: NatsConnection;
  /** Closes the clients, then stops and removes both servers; stop the app under test first. */
  stop(): Promise<void>;
}

/** A private nats-server and a private migrated database, started side by side, with a client of each. */
export async function startTestServers(): Promise<TestServers> {
  const [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
  const db = await openTestDataSource(database.url);
  const client = await connect({ servers: nats.url });
  return {
    nats,
    database,
    db,
    client,
    async stop() {
      // Each step runs even when one before it failed, so a broken test leaves no server behind.
      const steps = [() => client.close(), () => db.destroy(), () => nats.cleanup(), () => database.drop()];
      const failures: unknown[] = [];
      for (const step of steps) await step().catch((error: unknown) => failures.push(error));
      if (failures.length > 0) throw failures[0];
    },
  };
}
