import type { NatsConnection } from 'nats';
import type { DataSource } from 'typeorm';
import { ObjectBuckets, ObjectFiles, type RunningService } from '@lib/jetstream';
import {
  startServiceUnderTest,
  startTestServers,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
  type TestServers,
} from '@lib/testing';
import { AttachmentTrash, trashName } from '../src/attachments/attachment-trash';
import { JanitorConfigSchema } from '../src/config';
import { JanitorModule } from '../src/janitor.module';
import { databaseDigest, publishAndAwaitDeadLetter } from './job-harness';
import { JanitorWorld } from './janitor-world';

const day = 24 * 3600_000;

describe('undelete-attachment and the attachment trash (real NATS and PostgreSQL)', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let servers: TestServers;
  let db: DataSource;
  let janitor: RunningService;
  let client: NatsConnection;
  let world: JanitorWorld;
  let files: ObjectFiles;
  let trash: AttachmentTrash;

  beforeAll(async () => {
    servers = await startTestServers();
    ({ nats, database, db, client } = servers);
    world = new JanitorWorld(db);
    files = await ObjectFiles.open(client, ObjectBuckets.attachments);
    trash = new AttachmentTrash(db, files, 30);
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

  async function attachment(key: string, deletedAt: Date | null): Promise<{ id: number; bytes: Buffer }> {
    const group = await world.insert('groups', { name: 'G' });
    const id = await world.insert('attachments', {
      record_type: 'Group',
      record_id: group,
      key,
      filename: 'plan.pdf',
      deleted_at: deletedAt,
    });
    const bytes = Buffer.from(`file ${key} `.repeat(20_000));
    await files.put(key, [bytes], { contentType: 'application/pdf' });
    return { id, bytes };
  }
  const names = async () => (await files.list()).map((file) => file.name).sort();
  const deletedAt = async (id: number) =>
    (
      (await db.query(`SELECT deleted_at FROM attachments WHERE id = $1`, [id])) as {
        deleted_at: Date | null;
      }[]
    )[0]?.deleted_at;

  it('moves deleted files to the trash, restores one by key, and a second restore changes nothing', async () => {
    const kept = await attachment('kept', null);
    const deleted = await attachment('deleted', new Date(Date.now() - day));
    expect(await trash.sweep()).toEqual({ trashed: 1, purged: 0 });
    expect(await names()).toEqual(['kept', trashName('deleted')]);
    // Swept again: nothing more to move.
    expect(await trash.sweep()).toEqual({ trashed: 0, purged: 0 });

    expect(await trash.restore('deleted')).toEqual({ restored: true });
    expect(await names()).toEqual(['deleted', 'kept']);
    expect((await files.getBytes('deleted'))?.equals(deleted.bytes)).toBe(true);
    expect((await files.info('deleted'))?.contentType).toBe('application/pdf');
    expect(await deletedAt(deleted.id)).toBeNull();

    const before = await databaseDigest(db);
    expect(await trash.restore('deleted')).toEqual({ restored: false, reason: 'not deleted' });
    expect(await trash.restore('kept')).toEqual({ restored: false, reason: 'not deleted' });
    expect(await databaseDigest(db)).toEqual(before);
    expect(await names()).toEqual(['deleted', 'kept']);
    expect((await files.getBytes('kept'))?.equals(kept.bytes)).toBe(true);
  });

  it('finishes a restore that crashed after copying the file back', async () => {
    const { id, bytes } = await attachment('half-restored', new Date(Date.now() - day));
    await trash.sweep();
    // What a crash between copy and stamp leaves: the file in both places, the row still deleted.
    await files.put('half-restored', [bytes]);
    expect(await trash.restore('half-restored')).toEqual({ restored: true });
    expect(await deletedAt(id)).toBeNull();
    expect(await files.info(trashName('half-restored'))).toBeNull();
  });

  it('purges after 30 days, and refuses to restore what is purged or unknown, through the job', async () => {
    const { id } = await attachment('old', new Date(Date.now() - 31 * day));
    await expect(trash.restore('old')).rejects.toThrow(/deleted more than 30 days ago; it is purged/);
    expect(await trash.sweep()).toEqual({ trashed: 0, purged: 1 });
    expect(await deletedAt(id)).toBeUndefined();
    expect((await names()).filter((name) => name.includes('old'))).toEqual([]);

    const before = await databaseDigest(db);
    const filesBefore = await names();
    const purged = await publishAndAwaitDeadLetter(client, 'jobs.janitor.undelete-attachment', {
      key: 'old',
    });
    expect(purged.header.get('Dlq-Reason')).toBe('unrecoverable');
    expect(purged.header.get('Dlq-Error')).toMatch(/Attachment old is unknown: .* purged/);
    const malformed = await publishAndAwaitDeadLetter(client, 'jobs.janitor.undelete-attachment', { id: 3 });
    expect(malformed.header.get('Dlq-Reason')).toBe('invalid-payload');
    expect(await databaseDigest(db)).toEqual(before);
    expect(await names()).toEqual(filesBefore);

    const restorable = await attachment('via-job', new Date(Date.now() - day));
    await client.jetstream().publish('jobs.janitor.sweep-attachment-trash', '{}');
    await waitFor(async () => (await files.info(trashName('via-job'))) !== null);
    await client.jetstream().publish('jobs.janitor.undelete-attachment', JSON.stringify({ key: 'via-job' }));
    await waitFor(async () => (await deletedAt(restorable.id)) === null);
    expect((await files.getBytes('via-job'))?.equals(restorable.bytes)).toBe(true);
  });
});
