import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type NatsConnection } from 'nats';
import type { DataSource } from 'typeorm';
import { AllEntities, AllMigrations, createDataSource } from '@lib/db';
import { ObjectBuckets, ObjectFiles, type RunningService } from '@lib/jetstream';
import {
  createMigratedTestDatabase,
  startNatsServer,
  startServiceUnderTest,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@lib/testing';
import { ExporterConfigSchema } from '../src/config';
import { ExporterModule } from '../src/exporter.module';
import { ExportWorld } from './export-world';

const MaxBytes = 256 * 1024;

describe('exporter: download-attachment (real NATS, PostgreSQL and HTTP)', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let db: DataSource;
  let world: ExportWorld;
  let service: RunningService;
  let client: NatsConnection;
  let files: ObjectFiles;
  let http: Server;
  let origin: string;
  const file = Buffer.from(Array.from({ length: 200 * 1024 }, (_, i) => i % 251));

  beforeAll(async () => {
    [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
    db = await createDataSource({
      url: database.url,
      entities: AllEntities,
      migrations: AllMigrations,
    }).initialize();
    world = new ExportWorld(db);
    http = createServer((request, response) => {
      if (request.url === '/file.bin') {
        response.writeHead(200, { 'content-type': 'application/pdf' });
        response.end(file);
      } else if (request.url === '/huge.bin') {
        // No Content-Length: the cap must stop the stream itself.
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        for (let i = 0; i < 10; i++) response.write(Buffer.alloc(64 * 1024, 1));
        response.end();
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    service = await startServiceUnderTest({
      name: 'exporter',
      module: ExporterModule,
      configSchema: ExporterConfigSchema,
      natsUrl: nats.url,
      databaseUrl: database.url,
      env: {
        EXPORT_LINK_SECRET: 'x'.repeat(32),
        ATTACHMENT_MAX_BYTES: String(MaxBytes),
        // The test's file server runs on loopback, which the guard refuses unless allowed.
        OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32',
      },
    });
    client = await connect({ servers: nats.url });
    files = await ObjectFiles.open(client, ObjectBuckets.attachments);
  });

  afterAll(async () => {
    await service?.stop();
    await client?.close();
    await new Promise((resolve) => http?.close(resolve));
    await db?.destroy();
    await nats?.cleanup();
    await database?.drop();
  });

  let serial = 0;
  async function attachment(sourceUrl: string): Promise<{ id: number; key: string }> {
    const key = `attachments/test-${++serial}`;
    const id = await world.insert('attachments', {
      record_type: 'Comment',
      record_id: 1,
      key,
      filename: 'file.bin',
      source_url: sourceUrl,
    });
    await client
      .jetstream()
      .publish('jobs.exporter.download-attachment', JSON.stringify({ attachmentId: id }));
    return { id, key };
  }

  async function deadLetters(): Promise<Record<string, unknown>[]> {
    const jsm = await client.jetstreamManager();
    const found: Record<string, unknown>[] = [];
    const info = await jsm.streams.info('DLQ').catch(() => null);
    if (!info || info.state.messages === 0) return found;
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const msg = await jsm.streams.getMessage('DLQ', { seq }).catch(() => null);
      if (msg?.subject === 'dlq.jobs.exporter.download-attachment')
        found.push(msg.json<Record<string, unknown>>());
    }
    return found;
  }

  it('stores the remote file under the attachment key and records size, checksum and type', async () => {
    const { id, key } = await attachment(`${origin}/file.bin`);
    const row = await waitFor(async () => {
      const [found] = (await db.query(`SELECT * FROM attachments WHERE id = $1`, [id])) as Record<
        string,
        any
      >[];
      return found.byte_size !== null ? found : undefined;
    });
    expect(Number(row.byte_size)).toBe(file.length);
    expect(row.checksum).toBe(createHash('md5').update(file).digest('base64'));
    expect(row.content_type).toBe('application/pdf');
    expect((await files.getBytes(key))?.equals(file)).toBe(true);
  });

  it('refuses a cloud metadata address for good, fetching nothing', async () => {
    const { id, key } = await attachment('http://169.254.169.254/latest/meta-data/');
    await waitFor(async () => (await deadLetters()).some((job) => job.attachmentId === id));
    expect(await files.info(key)).toBeNull();
  });

  it('stops a file over the size limit, leaving no object and no chunks', async () => {
    const { id, key } = await attachment(`${origin}/huge.bin`);
    await waitFor(async () => (await deadLetters()).some((job) => job.attachmentId === id));
    expect(await files.info(key)).toBeNull();
    const jsm = await client.jetstreamManager();
    const prefix = `$O.${ObjectBuckets.attachments}.C.`;
    const stream = await jsm.streams.info(`OBJ_${ObjectBuckets.attachments}`, {
      subjects_filter: `${prefix}>`,
    });
    expect(Object.keys(stream.state.subjects ?? {})).toEqual([`${prefix}attachment-1`]);
  });
});
