import { parse } from 'csv-parse/sync';
import { connect, type NatsConnection } from 'nats';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { Contracts } from '@lib/contracts';
import { Outbox } from '@lib/db';
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
import { DownloadLinks } from '../src/exports/download-link';
import { exportObjectName, GroupExporter } from '../src/exports/export-group';
import { ExporterModule } from '../src/exporter.module';
import { ExportWorld, idsByTable, SecretMarker } from './export-world';

const LinkSecret = 'test-export-link-secret-0123456789abcdef';

describe('exporter: group exports, downloads and expiry (real NATS and PostgreSQL)', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let servers: TestServers;
  let db: DataSource;
  let world: ExportWorld;
  let service: RunningService;
  let client: NatsConnection;
  let files: ObjectFiles;
  let fixture: Awaited<ReturnType<typeof buildFixture>>;

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
      env: { EXPORT_LINK_SECRET: LinkSecret, EXPORT_BATCH_SIZE: '3', ABANDONED_UPLOAD_IDLE_MS: '0' },
    });
    files = await ObjectFiles.open(client, ObjectBuckets.exports);
    fixture = await buildFixture(world);
  });

  afterAll(async () => {
    await service?.stop();
    await servers?.stop();
  });

  async function requestExport(groupId: number, requestedBy: number, format: 'jsonl' | 'csv') {
    const before = (await db.query(`SELECT coalesce(max(id), 0) AS id FROM exports`)) as { id: string }[];
    await client
      .jetstream()
      .publish('events.group.export-requested', JSON.stringify({ groupId, requestedBy, format }));
    return waitFor(
      async () => {
        const row = await world.exportRow(`id > $1 AND group_id = $2 AND requester_id = $3`, [
          before[0].id,
          groupId,
          requestedBy,
        ]);
        return row && !['pending', 'running'].includes(row.status) ? row : undefined;
      },
      { timeoutMs: 20_000 },
    );
  }

  describe('JSONL', () => {
    let row: Record<string, any>;
    let content: string;

    beforeAll(async () => {
      row = await requestExport(fixture.group, fixture.admin, 'jsonl');
      content = (await files.getBytes(row.object_key))!.toString('utf8');
    });

    it('completes with rows, size and a 7-day expiry on the exports row', () => {
      expect(row.status).toBe('completed');
      expect(row.object_key).toBe(exportObjectName(Number(row.id), 'jsonl'));
      expect(Number(row.size_bytes)).toBe(Buffer.byteLength(content));
      expect(Number(row.row_count)).toBe(content.trim().split('\n').length);
      const days = (row.expires_at.getTime() - row.completed_at.getTime()) / 86_400_000;
      expect(days).toBeCloseTo(7, 5);
    });

    it('contains the group, the subgroups the requester belongs to and everything in them', () => {
      const ids = idsByTable(content);
      const f = fixture;
      expect(ids.get('groups')).toEqual([f.group, f.joinedSubgroup]);
      expect(ids.get('users')?.sort()).toEqual([f.admin, f.member].sort());
      expect(ids.get('discussions')).toEqual([f.discussion, f.subDiscussion]);
      expect(ids.get('comments')).toEqual([...f.comments, f.subComment]);
      expect(ids.get('polls')).toEqual([f.openPoll.poll, f.closedAnonymousPoll.poll]);
      expect(ids.get('poll_options')).toEqual([f.openPoll.option, f.closedAnonymousPoll.option]);
      expect(ids.get('stances')).toEqual([f.openPoll.stance, f.closedAnonymousPoll.stance]);
      expect(ids.get('stance_choices')).toEqual([f.openPoll.choice, f.closedAnonymousPoll.choice]);
      expect(ids.get('outcomes')).toEqual([f.openPoll.outcome, f.closedAnonymousPoll.outcome]);
      expect(ids.get('events')).toEqual(
        [
          f.groupEvent,
          f.openPoll.pollEvent,
          f.openPoll.stanceEvent,
          f.closedAnonymousPoll.pollEvent,
          f.closedAnonymousPoll.stanceEvent,
        ].sort((a, b) => a - b),
      );
      expect(ids.get('tasks')).toEqual([f.openPoll.task, f.closedAnonymousPoll.task]);
      expect(ids.get('attachments')).toEqual([f.openPoll.attachment, f.closedAnonymousPoll.attachment]);
      expect(ids.get('chatbots')).toEqual([f.chatbot]);
      expect(ids.get('memberships')?.length).toBe(4);
    });

    it('leaves out the anonymous open poll with everything hanging off it, and other groups', () => {
      const lines = content
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { table: string; record: any });
      const hidden = fixture.anonymousOpenPoll;
      const has = (table: string, id: number) => lines.some((l) => l.table === table && l.record.id === id);
      for (const [table, id] of [
        ['polls', hidden.poll],
        ['poll_options', hidden.option],
        ['stances', hidden.stance],
        ['stance_choices', hidden.choice],
        ['outcomes', hidden.outcome],
        ['events', hidden.pollEvent],
        ['events', hidden.stanceEvent],
        ['tasks', hidden.task],
        ['attachments', hidden.attachment],
        ['groups', fixture.otherGroup],
        ['groups', fixture.unjoinedSubgroup],
        ['discussions', fixture.otherDiscussion],
        ['discussions', fixture.unjoinedDiscussion],
        ['users', fixture.outsider],
      ] as const) {
        expect([table, id, has(table, id)]).toEqual([table, id, false]);
      }
    });

    it('contains no secret column and no secret value', () => {
      expect(content).not.toContain(SecretMarker);
      expect(content).not.toContain('203.0.113.');
      const users = content
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { table: string; record: Record<string, unknown> })
        .filter((line) => line.table === 'users');
      expect(users[0].record).toHaveProperty('email');
      for (const column of ['encrypted_password', 'api_key', 'reset_password_sent_at', 'last_sign_in_ip'])
        expect(users[0].record).not.toHaveProperty(column);
    });

    it('announces the export and e-mails the requester a signed link', async () => {
      const exportId = Number(row.id);
      expect(await world.outbox('events.export.ready')).toContainEqual({
        exportId,
        groupId: fixture.group,
        requesterId: fixture.admin,
      });
      const mail = (await world.outbox('jobs.notifier.deliver-email')).find((m) => m.recordId === exportId);
      expect(mail).toMatchObject({ kind: 'export_ready', recordType: 'Export', recipientId: fixture.admin });
      expect(mail?.linkPath).toMatch(
        new RegExp(`^/exports/${exportId}/download\\?expires=\\d+&signature=[0-9a-f]{64}$`),
      );
    });

    it('serves the file through the signed link, and refuses bad, expired and unknown links', async () => {
      const exportId = Number(row.id);
      const mail = (await world.outbox('jobs.notifier.deliver-email')).find((m) => m.recordId === exportId);
      const ok = await fetch(`${service.httpUrl}${mail!.linkPath as string}`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
      expect(ok.headers.get('content-disposition')).toBe(
        `attachment; filename="group-${fixture.group}-export-${exportId}.jsonl"`,
      );
      expect(await ok.text()).toBe(content);

      const tampered = (mail!.linkPath as string).replace(
        /signature=(.)/,
        (_, c: string) => `signature=${c === 'a' ? 'b' : 'a'}`,
      );
      expect((await fetch(`${service.httpUrl}${tampered}`)).status).toBe(403);
      expect((await fetch(`${service.httpUrl}/exports/${exportId}/download`)).status).toBe(403);
      const links = new DownloadLinks(LinkSecret);
      const expired = links.pathFor(exportId, new Date(Date.now() - 1000));
      expect((await fetch(`${service.httpUrl}${expired}`)).status).toBe(403);
      const unknown = links.pathFor(exportId + 1000, new Date(Date.now() + 60_000));
      expect((await fetch(`${service.httpUrl}${unknown}`)).status).toBe(404);
    });
  });

  it('refuses a member who is not an admin, saying so on the exports row', async () => {
    const row = await requestExport(fixture.group, fixture.member, 'jsonl');
    expect(row.status).toBe('refused');
    expect(row.error).toBe(
      `Only an admin of group ${fixture.group} may export it; user ${fixture.member} is not one.`,
    );
    expect(row.object_key).toBeNull();
    expect(await files.info(exportObjectName(Number(row.id), 'jsonl'))).toBeNull();
  });

  it('writes CSV with one section per table and escapes formula cells', async () => {
    const row = await requestExport(fixture.group, fixture.admin, 'csv');
    expect(row.status).toBe('completed');
    const download = await files.get(row.object_key);
    expect(download?.contentType).toBe('text/csv; charset=utf-8');
    const text = (await files.getBytes(row.object_key))!.toString('utf8');
    expect(text).not.toContain(SecretMarker);
    const records = parse(text, { relax_column_count: true, skip_empty_lines: true }) as string[][];
    const titles = records.filter((r) => r.length === 1).map((r) => r[0]);
    expect(titles).toEqual(
      expect.arrayContaining(['groups', 'users', 'comments', 'polls', 'stances', 'events']),
    );
    const commentsAt = records.findIndex((r) => r.length === 1 && r[0] === 'comments');
    const header = records[commentsAt + 1];
    const body = header.indexOf('body');
    const bodies = records
      .slice(commentsAt + 2)
      .filter((r) => r.length === header.length)
      .map((r) => r[body]);
    expect(bodies).toContain('\'=HYPERLINK("http://evil.example")');
    expect(bodies).toContain("'+1-2");
    expect(bodies).toContain("'@SUM(A1)");
    expect(bodies).toContain("'\tTAB");
    expect(bodies).toContain('A comment');
    const usersAt = records.findIndex((r) => r.length === 1 && r[0] === 'users');
    expect(records[usersAt + 1]).not.toContain('encrypted_password');
  });

  it('deletes expired exports, row and file, keeps the others, and purges abandoned uploads', async () => {
    const expired = await requestExport(fixture.group, fixture.admin, 'jsonl');
    const kept = await requestExport(fixture.group, fixture.admin, 'csv');
    // What a writer that died without a retry leaves: chunks that no object names.
    await client.jetstream().publish(`$O.${ObjectBuckets.exports}.C.abandoned-upload`, new Uint8Array(1000));
    expect(await orphanChunkSubjects()).toEqual([`$O.${ObjectBuckets.exports}.C.abandoned-upload`]);
    await db.query(`UPDATE exports SET expires_at = now() - interval '1 minute' WHERE id = $1`, [expired.id]);
    expect(await files.info(expired.object_key)).not.toBeNull();
    await client.jetstream().publish('jobs.exporter.delete-expired-exports', '{}');
    await waitFor(async () => !(await world.exportRow(`id = $1`, [expired.id])), { timeoutMs: 10_000 });
    expect(await files.info(expired.object_key)).toBeNull();
    expect(await world.exportRow(`id = $1`, [kept.id])).toBeDefined();
    expect(await files.info(kept.object_key)).not.toBeNull();
    // The sweep runs after the rows are gone.
    await waitFor(async () => (await orphanChunkSubjects()).length === 0, { timeoutMs: 10_000 });
  });

  it('leaves no visible object when the writer dies mid-export, and a rerun purges its chunks and completes', async () => {
    const group = await world.group();
    const admin = await world.user();
    await world.member(group, admin, true);
    const discussion = await world.discussion(group, admin);
    await db.query(
      `INSERT INTO comments (discussion_id, author_id, body) SELECT $1, $2, repeat('x', 1000) FROM generate_series(1, 400)`,
      [discussion, admin],
    );
    const request = { groupId: group, requestedBy: admin, format: 'jsonl' as const };
    const logger = pino({ level: 'silent' });
    const outbox = new Outbox(Contracts, 'urn:test');
    const settings = { batchSize: 20, ttlDays: 7 };
    const links = new DownloadLinks(LinkSecret);

    const doomed = await connect({ servers: nats.url });
    const doomedFiles = await ObjectFiles.open(doomed, ObjectBuckets.exports, { maxChunksInFlight: 1 });
    const doomedExporter = new GroupExporter(db, outbox, doomedFiles, links, settings, logger);
    let batches = 0;
    // Past 128 KiB (one chunk stored), the writer's connection drops as if its process died.
    const crashed = doomedExporter.run(request, 'crash-request', {
      working: () => {
        if (++batches === 10) void doomed.close();
      },
    });
    await expect(crashed).rejects.toThrow();
    const row = await world.exportRow(`request_id = $1`, ['crash-request']);
    expect(row?.status).toBe('running');
    // Progress was recorded while it ran.
    expect(Number(row!.row_count)).toBeGreaterThan(0);
    expect(row!.current_table).not.toBeNull();
    const name = exportObjectName(Number(row!.id), 'jsonl');
    expect(await files.info(name)).toBeNull();
    expect((await orphanChunkSubjects()).length).toBeGreaterThan(0);

    const exporter = new GroupExporter(db, outbox, files, links, settings, logger);
    const outcome = await exporter.run(request, 'crash-request');
    expect(outcome).toMatchObject({ status: 'completed', rows: 404 });
    const content = (await files.getBytes(name))!.toString('utf8');
    expect(idsByTable(content).get('comments')?.length).toBe(400);
    expect(await orphanChunkSubjects()).toEqual([]);
    // Died after storing the file but before recording it: the retry writes the file again.
    await db.query(`UPDATE exports SET status = 'running' WHERE request_id = 'crash-request'`);
    expect(await exporter.run(request, 'crash-request')).toMatchObject({ status: 'completed', rows: 404 });
    expect((await files.getBytes(name))!.toString('utf8')).toBe(content);
    expect(await orphanChunkSubjects()).toEqual([]);
    // A redelivery of the finished request changes nothing.
    expect(await exporter.run(request, 'crash-request')).toEqual({
      status: 'already-ended',
      exportId: Number(row!.id),
    });
  });

  async function orphanChunkSubjects(): Promise<string[]> {
    const jsm = await client.jetstreamManager();
    const prefix = `$O.${ObjectBuckets.exports}.C.`;
    const info = await jsm.streams.info(`OBJ_${ObjectBuckets.exports}`, { subjects_filter: `${prefix}>` });
    const os = await client.jetstream().views.os(ObjectBuckets.exports);
    const nuids = new Set((await os.list()).map((o) => o.nuid));
    return Object.keys(info.state.subjects ?? {}).filter(
      (subject) => !nuids.has(subject.slice(prefix.length)),
    );
  }
});

async function buildFixture(world: ExportWorld) {
  const admin = await world.user();
  const member = await world.user();
  const outsider = await world.user();
  const group = await world.group();
  const joinedSubgroup = await world.group(group);
  const unjoinedSubgroup = await world.group(group);
  const otherGroup = await world.group();
  await world.member(group, admin, true);
  await world.member(group, member);
  await world.member(joinedSubgroup, admin, true);
  await world.member(joinedSubgroup, member);
  await world.member(unjoinedSubgroup, member);
  await world.member(otherGroup, outsider, true);
  const discussion = await world.discussion(group, admin);
  const comments = [];
  for (const body of ['=HYPERLINK("http://evil.example")', 'A comment', '+1-2', '@SUM(A1)', '\tTAB'])
    comments.push(await world.comment(discussion, member, body));
  const subDiscussion = await world.discussion(joinedSubgroup, admin);
  const subComment = await world.comment(subDiscussion, admin);
  const unjoinedDiscussion = await world.discussion(unjoinedSubgroup, member);
  await world.comment(unjoinedDiscussion, member);
  const otherDiscussion = await world.discussion(otherGroup, outsider);
  await world.pollWithVotes({ groupId: otherGroup, authorId: outsider, voterId: outsider });
  const openPoll = await world.pollWithVotes({
    groupId: group,
    authorId: admin,
    voterId: member,
    discussionId: discussion,
  });
  const anonymousOpenPoll = await world.pollWithVotes({
    groupId: group,
    authorId: admin,
    voterId: member,
    discussionId: discussion,
    anonymous: true,
  });
  const closedAnonymousPoll = await world.pollWithVotes({
    groupId: group,
    authorId: admin,
    voterId: member,
    anonymous: true,
    closed: true,
  });
  const groupEvent = await world.event('group_created', 'Group', group, admin);
  const chatbot = await world.chatbot(group);
  return {
    admin,
    member,
    outsider,
    group,
    joinedSubgroup,
    unjoinedSubgroup,
    otherGroup,
    discussion,
    comments,
    subDiscussion,
    subComment,
    unjoinedDiscussion,
    otherDiscussion,
    openPoll,
    anonymousOpenPoll,
    closedAnonymousPoll,
    groupEvent,
    chatbot,
  };
}
