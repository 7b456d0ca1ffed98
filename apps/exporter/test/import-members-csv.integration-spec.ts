import { parse } from 'csv-parse/sync';
import type { NatsConnection } from 'nats';
import type { DataSource } from 'typeorm';
import { Contracts, type ContractMap } from '@lib/contracts';
import { ObjectBuckets, ObjectFiles, type RunningService } from '@lib/jetstream';
import {
  startServiceUnderTest,
  startTestServers,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
  type TestServers,
} from '@lib/testing';
import { ExporterConfigSchema } from '../src/config';
import { ExporterModule } from '../src/exporter.module';
import { ExportWorld } from './export-world';

/** Retries fast, and only twice, so the exhausted hook is reached within the test. */
const contracts: ContractMap = {
  ...Contracts,
  'jobs.exporter.import-members-csv': {
    ...Contracts['jobs.exporter.import-members-csv'],
    options: {
      ...Contracts['jobs.exporter.import-members-csv'].options,
      maxAttempts: 2,
      backoff: { type: 'fixed', delayMs: 100 },
      unique: undefined,
    },
  },
};

describe('exporter: members CSV imports (real NATS and PostgreSQL)', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let servers: TestServers;
  let db: DataSource;
  let world: ExportWorld;
  let service: RunningService;
  let client: NatsConnection;
  let files: ObjectFiles;
  let group: number;
  let author: number;
  let uploads = 0;

  beforeAll(async () => {
    servers = await startTestServers();
    ({ nats, database, db, client } = servers);
    world = new ExportWorld(db);
    service = await startServiceUnderTest({
      name: 'exporter',
      module: ExporterModule,
      configSchema: ExporterConfigSchema,
      natsUrl: nats.url,
      databaseUrl: database.url,
      contracts,
      env: { EXPORT_LINK_SECRET: 'x'.repeat(32), IMPORT_BATCH_SIZE: '2' },
    });
    files = await ObjectFiles.open(client, ObjectBuckets.imports);
    author = await world.user();
    group = await world.group();
    await world.member(group, author, true);
  });

  afterAll(async () => {
    await service?.stop();
    await servers?.stop();
  });

  /** Uploads `csv` as the web app would, creates the imports row and enqueues the job. */
  async function importCsv(csv: string, row: Record<string, unknown> = {}): Promise<Record<string, any>> {
    const objectKey = `uploads/${process.pid}-${++uploads}.csv`;
    await files.put(objectKey, [csv]);
    const importId = await world.insert('imports', {
      group_id: group,
      author_id: author,
      object_key: objectKey,
      filename: 'members.csv',
      ...row,
    });
    await client.jetstream().publish('jobs.exporter.import-members-csv', JSON.stringify({ importId }));
    return waitFor(
      async () => {
        const [found] = (await db.query(`SELECT * FROM imports WHERE id = $1`, [importId])) as Record<
          string,
          any
        >[];
        return ['completed', 'failed'].includes(found.status) ? found : undefined;
      },
      { timeoutMs: 15_000 },
    );
  }

  async function membership(
    email: string,
  ): Promise<{ admin: boolean; accepted: boolean; name: string } | undefined> {
    const [row] = (await db.query(
      `SELECT m.admin, m.accepted_at IS NOT NULL AS accepted, u.name FROM memberships m
       JOIN users u ON u.id = m.user_id WHERE u.email = $1 AND m.group_id = $2`,
      [email, group],
    )) as { admin: boolean; accepted: boolean; name: string }[];
    return row;
  }

  it('adds good rows in batches, rejects bad ones with reasons, and offers them as an errors CSV', async () => {
    const existing = await world.insert('users', { email: 'existing@example.test', name: 'Existing' });
    await world.member(group, existing);
    await world.insert('users', { email: 'gone@example.test', name: 'Gone', deactivated_at: new Date() });
    const csv = [
      'Email, Name ,ROLE,extra',
      'new1@example.test,New One,member,x',
      'EXISTING@example.test,,Admin,',
      'not-an-email,Bad,member,',
      'new2@example.test,New Two,owner,',
      ',No Email,member,',
      'gone@example.test,Gone,member,',
      'new3@example.test,=cmd(),,',
    ].join('\r\n');
    const row = await importCsv(csv);

    expect(row).toMatchObject({ status: 'completed', processed_rows: 7, imported_rows: 3, error: null });
    expect(row.rejected_rows).toEqual([
      { line: 4, reasons: ['email "not-an-email" is not an e-mail address'] },
      { line: 5, reasons: ['role "owner" is neither "member" nor "admin"'] },
      { line: 6, reasons: ['email is missing'] },
      { line: 7, reasons: ['the account with this e-mail is deactivated'] },
    ]);
    expect(await membership('new1@example.test')).toEqual({ admin: false, accepted: true, name: 'New One' });
    expect(await membership('existing@example.test')).toEqual({
      admin: true,
      accepted: true,
      name: 'Existing',
    });
    expect(await membership('new3@example.test')).toEqual({ admin: false, accepted: true, name: '=cmd()' });
    expect(await membership('new2@example.test')).toBeUndefined();
    expect(await membership('gone@example.test')).toBeUndefined();

    const errors = parse((await files.getBytes(row.errors_object_key))!.toString('utf8')) as string[][];
    expect(errors).toEqual([
      ['line', 'email', 'name', 'role', 'reasons'],
      ['4', 'not-an-email', 'Bad', 'member', 'email "not-an-email" is not an e-mail address'],
      ['5', 'new2@example.test', 'New Two', 'owner', 'role "owner" is neither "member" nor "admin"'],
      ['6', '', 'No Email', 'member', 'email is missing'],
      ['7', 'gone@example.test', 'Gone', 'member', 'the account with this e-mail is deactivated'],
    ]);
    expect(await world.outbox('events.import.finished')).toContainEqual({
      importId: Number(row.id),
      groupId: group,
      status: 'completed',
      importedRows: 3,
      rejectedRows: 4,
    });
  });

  it('resumes after the rows an interrupted attempt committed', async () => {
    const csv =
      'email,name,role\nskip1@example.test,A,member\nskip2@example.test,B,member\nresumed@example.test,C,admin\n';
    const row = await importCsv(csv, { status: 'running', processed_rows: 2 });
    expect(row).toMatchObject({
      status: 'completed',
      processed_rows: 3,
      imported_rows: 1,
      errors_object_key: null,
    });
    expect(await membership('skip1@example.test')).toBeUndefined();
    expect(await membership('resumed@example.test')).toMatchObject({ admin: true });
  });

  it('fails a malformed file with a clear error and imports none of it', async () => {
    const row = await importCsv(
      'email,name,role\nfirst@example.test,First,member\nsecond@example.test,"Unclosed,member\n',
    );
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/^Malformed CSV: .*quote/i);
    expect(await membership('first@example.test')).toBeUndefined();
    expect(await world.outbox('events.import.finished')).toContainEqual(
      expect.objectContaining({ importId: Number(row.id), status: 'failed' }),
    );
  });

  it('fails a file without the needed columns, naming them', async () => {
    const row = await importCsv('mail,full name\nsomeone@example.test,Someone\n');
    expect(row).toMatchObject({
      status: 'failed',
      error:
        'The file needs the columns email, name, role; email, name, role missing (found: mail, full name)',
    });
  });

  it('marks the import failed once the job has used its attempts', async () => {
    // Every membership write for this group fails, as a broken database would.
    const doomedGroup = await world.group();
    await db.query(`
      CREATE FUNCTION refuse_membership() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'memberships are read-only today'; END $$;
      CREATE TRIGGER refuse_membership BEFORE INSERT ON memberships FOR EACH ROW
        WHEN (NEW.group_id = ${doomedGroup}) EXECUTE FUNCTION refuse_membership();
    `);
    try {
      const row = await importCsv('email,name,role\ndoomed@example.test,D,member\n', {
        group_id: doomedGroup,
      });
      expect(row.status).toBe('failed');
      expect(row.error).toBe('Gave up after repeated failures: memberships are read-only today');
    } finally {
      await db.query(`DROP TRIGGER refuse_membership ON memberships; DROP FUNCTION refuse_membership()`);
    }
  });
});
