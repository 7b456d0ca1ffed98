import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from 'nats';
import type { DataSource } from 'typeorm';
import type { RunningService } from '@lib/jetstream';
import {
  startServiceUnderTest,
  startTestServers,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
  type TestServers,
} from '@lib/testing';
import { JanitorConfigSchema } from '../src/config';
import { CountryDatabase, UserGeolocation } from '../src/geo/user-geolocation';
import { JanitorModule } from '../src/janitor.module';
import { tinyCountryDatabase } from './fixtures/tiny-mmdb';
import { databaseDigest, publishAndAwaitDeadLetter } from './job-harness';
import { JanitorWorld } from './janitor-world';

const Networks = { '81.0.0.0/8': 'DE', '8.8.8.0/24': 'US', '8.8.4.0/24': 'US' };

describe('geo-locate-users (real NATS and PostgreSQL, a generated .mmdb file)', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let servers: TestServers;
  let db: DataSource;
  let janitor: RunningService;
  let client: NatsConnection;
  let world: JanitorWorld;
  let directory: string;
  let geoFile: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'geoip-'));
    geoFile = join(directory, 'country.mmdb');
    await writeFile(geoFile, tinyCountryDatabase(Networks));
    servers = await startTestServers();
    ({ nats, database, db, client } = servers);
    world = new JanitorWorld(db);
    janitor = await startServiceUnderTest({
      name: 'janitor',
      module: JanitorModule,
      configSchema: JanitorConfigSchema,
      natsUrl: nats.url,
      databaseUrl: database.url,
      env: { GEOIP_DATABASE_PATH: geoFile, JANITOR_BATCH_SIZE: '2' },
    });
  });

  afterAll(async () => {
    await janitor?.stop();
    await servers?.stop();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  const countries = async (ids: number[]) =>
    (
      (await db.query(`SELECT id, country FROM users WHERE id = ANY($1) ORDER BY id`, [ids])) as {
        id: string;
        country: string | null;
      }[]
    ).map((row) => row.country);

  it('sets the country of users without one from their last sign-in address, once', async () => {
    const ids = [
      await world.user({ last_sign_in_ip: '81.2.3.4' }),
      await world.user({ last_sign_in_ip: '8.8.8.8', country: 'FR' }),
      await world.user({ last_sign_in_ip: '10.0.0.1' }),
      await world.user({}),
      await world.user({ last_sign_in_ip: '2001:db8::1' }),
      await world.user({ last_sign_in_ip: '8.8.4.4' }),
    ];
    const geolocation = new UserGeolocation(db, 2);
    const file = await CountryDatabase.open(geoFile);

    expect(await geolocation.locate(file)).toEqual({ examined: 4, located: 2 });
    expect(await countries(ids)).toEqual(['DE', 'FR', null, null, null, 'US']);

    const before = await databaseDigest(db);
    expect(await geolocation.locate(file)).toEqual({ examined: 2, located: 0 });
    expect(await databaseDigest(db)).toEqual(before);
  });

  it('runs as a job; a malformed request or an unreadable database file is dead-lettered and changes nothing', async () => {
    const user = await world.user({ last_sign_in_ip: '81.9.9.9' });
    const before = await databaseDigest(db);
    const malformed = await publishAndAwaitDeadLetter(client, 'jobs.janitor.geo-locate-users', {
      ip: '1.2.3.4',
    });
    expect(malformed.header.get('Dlq-Reason')).toBe('invalid-payload');

    await writeFile(geoFile, 'not a database');
    const broken = await publishAndAwaitDeadLetter(client, 'jobs.janitor.geo-locate-users', {});
    expect(broken.header.get('Dlq-Reason')).toBe('unrecoverable');
    expect(broken.header.get('Dlq-Error')).toMatch(/GEOIP_DATABASE_PATH .* is not a MaxMind DB file/);
    expect(await databaseDigest(db)).toEqual(before);

    await writeFile(geoFile, tinyCountryDatabase(Networks));
    await client.jetstream().publish('jobs.janitor.geo-locate-users', '{}');
    await waitFor(async () => (await countries([user]))[0] === 'DE');
  });
});
