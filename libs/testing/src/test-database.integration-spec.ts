import { Client } from 'pg';
import { createTestDatabase, DEFAULT_TEST_DATABASE_URL, type TestDatabase } from '@lib/testing';

const adminUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;

describe('createTestDatabase', () => {
  let database: TestDatabase | undefined;

  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  it('creates an empty, usable database and drops it again', async () => {
    database = await createTestDatabase();
    expect(database.name).toMatch(/^test_[0-9a-f]{16}$/);
    expect(new URL(database.url).pathname).toBe(`/${database.name}`);
    expect(await databaseExists(database.name)).toBe(true);

    await withClient(database.url, async (client) => {
      const current = await client.query<{ name: string }>('SELECT current_database() AS name');
      expect(current.rows[0].name).toBe(database?.name);
      await client.query('CREATE TABLE motions (id serial PRIMARY KEY, title text NOT NULL)');
      await client.query("INSERT INTO motions (title) VALUES ('adopt the budget')");
      const rows = await client.query<{ title: string }>('SELECT title FROM motions');
      expect(rows.rows).toEqual([{ title: 'adopt the budget' }]);
    });

    await database.drop();
    expect(await databaseExists(database.name)).toBe(false);
    await expect(database.drop()).resolves.toBeUndefined();
  });

  it('drops the database even while a client is still connected to it', async () => {
    database = await createTestDatabase();
    const lingering = new Client({ connectionString: database.url });
    const lingeringErrors: Error[] = [];
    lingering.on('error', (error) => lingeringErrors.push(error));
    await lingering.connect();

    await database.drop();

    expect(await databaseExists(database.name)).toBe(false);
    await expect(lingering.query('SELECT 1')).rejects.toThrow();
    await lingering.end().catch(() => undefined);
  });

  it('gives every call its own database and honours baseUrl', async () => {
    const [first, second] = await Promise.all([
      createTestDatabase({ baseUrl: adminUrl }),
      createTestDatabase({ baseUrl: adminUrl }),
    ]);
    try {
      expect(first.name).not.toBe(second.name);
      expect(new URL(first.url).host).toBe(new URL(adminUrl).host);
    } finally {
      await Promise.all([first.drop(), second.drop()]);
    }
  });
});

async function databaseExists(name: string): Promise<boolean> {
  return withClient(adminUrl, async (client) => {
    const result = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return result.rowCount === 1;
  });
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
