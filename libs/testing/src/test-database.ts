import { randomBytes } from 'node:crypto';
import { Client, escapeIdentifier } from 'pg';

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabaseOptions {
  /** Server to create the database on (the database in the URL is only used to connect); defaults to
   * `TEST_DATABASE_URL` or postgres://postgres@127.0.0.1:5432/test. */
  baseUrl?: string;
}

export interface TestDatabase {
  /** Connection URL of the new database: the base URL with the database name swapped. */
  readonly url: string;
  readonly name: string;
  /** Disconnects everyone still connected and drops the database. Safe to call twice. */
  drop(): Promise<void>;
}

/** Creates a throwaway database `test_<random hex>` so tests can migrate and write freely in parallel. */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const baseUrl = options.baseUrl ?? process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  const name = `test_${randomBytes(8).toString('hex')}`;

  await withClient(baseUrl, (client) => client.query(`CREATE DATABASE ${escapeIdentifier(name)}`));

  const drop = async (): Promise<void> => {
    await withClient(baseUrl, async (client) => {
      // Terminating first lets connection pools notice and stop reconnecting; FORCE then also
      // catches a session that slipped in between the two statements.
      await client.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [name],
      );
      await client.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`);
    });
  };

  return { url: withDatabaseName(baseUrl, name), name, drop };
}

function withDatabaseName(baseUrl: string, databaseName: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${databaseName}`;
  return url.toString();
}

async function withClient<T>(connectionString: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
