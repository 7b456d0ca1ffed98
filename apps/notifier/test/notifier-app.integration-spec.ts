import ICAL from 'ical.js';
import { connect, type NatsConnection } from 'nats';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { Subjects } from '@lib/contracts';
import { OutboxRelay, type RunningService } from '@lib/jetstream';
import {
  createMigratedTestDatabase,
  sleep,
  startNatsServer,
  startServiceUnderTest,
  startSmtpCapture,
  waitFor,
  type NatsServerHandle,
  type SmtpCaptureHandle,
  type TestDatabase,
  openTestDataSource,
} from '@lib/testing';
import { NotifierConfigSchema } from '../src/config';
import { NotifierModule } from '../src/notifier.module';
import { parseMail } from './mail-world';
import { NotifyWorld } from './notify-world';

const AppUrl = 'http://app.test';

/** The decoded body of the MIME part with this content type. */
function mimePart(raw: string, contentType: string): { headers: string; body: string } | undefined {
  const start = raw.search(new RegExp(`Content-Type: ${contentType.replace('/', '\\/')}`, 'i'));
  if (start === -1) return undefined;
  const rest = raw.slice(start);
  const [headers] = rest.split(/\r?\n\r?\n/, 1);
  const body = rest
    .slice(headers.length)
    .replace(/^\r?\n\r?\n/, '')
    .split(/\r?\n--/)[0];
  const encoding = /Content-Transfer-Encoding: *([\w-]+)/i.exec(headers)?.[1]?.toLowerCase();
  if (encoding === 'base64')
    return { headers, body: Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') };
  if (encoding === 'quoted-printable') return { headers, body: parseMail(body).decoded };
  return { headers, body };
}

describe('notifier app: domain events to mail (real NATS, PostgreSQL and SMTP)', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let smtp: SmtpCaptureHandle;
  let db: DataSource;
  let world: NotifyWorld;
  let client: NatsConnection;
  let relay: OutboxRelay;
  const replicas: RunningService[] = [];

  beforeAll(async () => {
    [nats, database, smtp] = await Promise.all([
      startNatsServer(),
      createMigratedTestDatabase(),
      startSmtpCapture(),
    ]);
    db = await openTestDataSource(database.url);
    world = new NotifyWorld(db);
    for (let i = 0; i < 2; i++) {
      replicas.push(
        await startServiceUnderTest({
          name: 'notifier',
          module: NotifierModule,
          configSchema: NotifierConfigSchema,
          natsUrl: nats.url,
          databaseUrl: database.url,
          env: { SMTP_URL: smtp.url, APP_URL: AppUrl, MAIL_FROM: 'Loomio <notifications@loomio.test>' },
        }),
      );
    }
    client = await connect({ servers: nats.url });
    relay = new OutboxRelay(db, client.jetstream(), database.url, pino({ level: 'silent' }));
    await relay.start();
  });

  afterAll(async () => {
    await relay?.stop();
    for (const replica of replicas) await replica.stop();
    await client?.close();
    await smtp?.stop();
    await db?.destroy();
    await nats?.cleanup();
    await database?.drop();
  });

  const publish = (subject: string, data: unknown, msgID: string) =>
    client.jetstream().publish(subject, JSON.stringify(data), { msgID });

  const mailsTo = async (userId: number) => {
    const address = await world.email(userId);
    return smtp.messages.filter((mail) => mail.to.includes(address));
  };

  it('a comment published twice (two message ids) and redelivered notifies and mails each person once', async () => {
    const parentAuthor = await world.user({ locale: 'de' });
    const actor = await world.user({ name: 'Grace' });
    const loudReader = await world.user();
    const groupId = await world.groupOf(parentAuthor, actor, loudReader);
    const discussionId = await world.discussion(groupId, parentAuthor, 'Budget 2027');
    await world.reader(discussionId, loudReader, { volume: 3 });
    await world.comment(discussionId, loudReader);
    const parentId = await world.comment(discussionId, parentAuthor);
    const commentId = await world.comment(discussionId, actor, parentId);
    const eventId = await world.activity(
      'new_comment',
      { type: 'Comment', id: commentId },
      { userId: actor },
    );
    const event = { eventId, actorId: actor, commentId, discussionId, parentId };
    // Only a reader with an e-mail API key can reply by mail: only their mail carries a Reply-To.
    await db.query(`UPDATE users SET email_api_key = 'key-of-the-parent-author' WHERE id = $1`, [
      parentAuthor,
    ]);

    await Promise.all([
      publish(Subjects.CommentCreated, event, 'app-1'),
      publish(Subjects.CommentCreated, event, 'app-1'),
      publish(Subjects.CommentCreated, event, 'app-retry-2'),
    ]);

    await waitFor(
      async () => (await mailsTo(parentAuthor)).length === 1 && (await mailsTo(loudReader)).length === 1,
      {
        timeoutMs: 15_000,
        description: 'both mails sent',
      },
    );
    await sleep(1_500);
    expect(await mailsTo(parentAuthor)).toHaveLength(1);
    expect(await mailsTo(loudReader)).toHaveLength(1);
    expect(await mailsTo(actor)).toHaveLength(0);
    const notified = await world.notifications(eventId);
    expect(notified.get(parentAuthor)).toEqual(['comment_replied_to']);
    expect(notified.get(loudReader)).toEqual(['new_comment']);
    const { headers, decoded } = parseMail((await mailsTo(parentAuthor))[0].raw);
    expect(headers.get('subject')).toBe('Grace hat dir in Budget 2027 geantwortet');
    expect(decoded).toContain(`${AppUrl}/d/`);
    expect(headers.get('reply-to')).toBe(
      `reply+d=${discussionId}&u=${parentAuthor}&k=key-of-the-parent-author@loomio.test`,
    );
    expect(parseMail((await mailsTo(loudReader))[0].raw).headers.get('reply-to')).toBeUndefined();
  });

  it('an outcome of a meeting poll carries meeting.ics that parses back to the chosen date', async () => {
    const author = await world.user();
    const member = await world.user();
    const groupId = await world.groupOf(author, member);
    const pollId = await world.poll({
      authorId: author,
      groupId,
      pollType: 'meeting',
      title: 'Team dinner',
      closedAt: new Date(),
    });
    const optionId = await world.option(pollId, '2026-12-04T18:30:00.000Z');
    const outcomeId = await world.outcome(pollId, author, {
      optionId,
      summary: 'Dinner',
      location: 'Trattoria',
    });
    const eventId = await world.activity(
      'outcome_created',
      { type: 'Outcome', id: outcomeId },
      { userId: author },
    );

    await publish(
      Subjects.OutcomeCreated,
      { eventId, actorId: author, outcomeId, pollId },
      `outcome-${eventId}`,
    );

    await waitFor(async () => (await mailsTo(member)).length === 1, {
      timeoutMs: 15_000,
      description: 'outcome mail',
    });
    const raw = (await mailsTo(member))[0].raw;
    const part = mimePart(raw, 'text/calendar');
    expect(part?.headers).toMatch(/meeting\.ics/);
    const calendar = new ICAL.Component(ICAL.parse(part!.body));
    const vevent = new ICAL.Event(calendar.getFirstSubcomponent('vevent')!);
    expect(vevent.summary).toBe('Dinner');
    expect(vevent.location).toBe('Trattoria');
    expect(vevent.uid).toBe(`outcome-${outcomeId}@app.test`);
    expect(vevent.startDate.toJSDate().toISOString()).toBe('2026-12-04T18:30:00.000Z');
    expect(vevent.endDate.toJSDate().toISOString()).toBe('2026-12-04T19:30:00.000Z');
    expect(parseMail(raw).decoded).toContain('The meeting is on');
  });

  it('an outcome of an ordinary poll has no attachment', async () => {
    const author = await world.user();
    const member = await world.user();
    const groupId = await world.groupOf(author, member);
    const pollId = await world.poll({ authorId: author, groupId, closedAt: new Date() });
    const outcomeId = await world.outcome(pollId, author);
    const eventId = await world.activity(
      'outcome_created',
      { type: 'Outcome', id: outcomeId },
      { userId: author },
    );
    await publish(
      Subjects.OutcomeCreated,
      { eventId, actorId: author, outcomeId, pollId },
      `outcome-${eventId}`,
    );
    await waitFor(async () => (await mailsTo(member)).length === 1, {
      timeoutMs: 15_000,
      description: 'outcome mail',
    });
    expect(mimePart((await mailsTo(member))[0].raw, 'text/calendar')).toBeUndefined();
  });

  it('the hourly digest job mails a catch-up listing the unread threads', async () => {
    const at = new Date('2026-11-24T06:00:00Z');
    const reader = await world.user({ catchUpDay: 7 });
    const poster = await world.user();
    const groupId = await world.groupOf(reader, poster);
    const discussionId = await world.discussion(groupId, poster, 'Garden plan');
    const commentId = await world.comment(discussionId, poster);
    await world.activity(
      'new_comment',
      { type: 'Comment', id: commentId },
      { userId: poster, discussionId, sequenceId: 1, createdAt: new Date(at.getTime() - 3600_000) },
    );
    await publish(Subjects.SendCatchUpDigests, { at: at.toISOString() }, 'digest-run-1');
    await waitFor(async () => (await mailsTo(reader)).length === 1, {
      timeoutMs: 15_000,
      description: 'digest mail',
    });
    const { headers, decoded } = parseMail((await mailsTo(reader))[0].raw);
    expect(headers.get('subject')).toMatch(/^Catch up on what happened since/);
    expect(decoded).toContain('Garden plan: 1 new');
  });

  it('mails the kinds other services queue: erasure confirmation (deactivated), export link, destroy warning', async () => {
    const erased = await world.user({ deactivated: true });
    const requester = await world.user();
    const admin = await world.user();
    const member = await world.user();
    const groupId = await world.group('Allotment');
    await world.member(groupId, requester, { admin: true });
    await world.member(groupId, admin, { admin: true });
    await world.member(groupId, member);
    const exportId = await world.insert('exports', {
      group_id: groupId,
      requester_id: requester,
      format: 'jsonl',
      status: 'completed',
      expires_at: new Date(Date.now() + 7 * 24 * 3600_000),
    });
    const jobs = [
      { kind: 'redaction_confirmation', recipientId: erased, recordType: 'User', recordId: erased },
      {
        kind: 'export_ready',
        recipientId: requester,
        recordType: 'Export',
        recordId: exportId,
        linkPath: `/exports/${exportId}?token=abc123`,
      },
      { kind: 'group_destroy_warning', recipientId: admin, recordType: 'Group', recordId: groupId },
      { kind: 'group_destroy_warning', recipientId: member, recordType: 'Group', recordId: groupId },
    ];
    for (const [i, job] of jobs.entries()) {
      await publish(
        Subjects.DeliverEmail,
        { ...job, dedupeKey: `other:${i}:${groupId}` },
        `other:${i}:${groupId}`,
      );
    }
    await waitFor(
      async () => {
        const rows = (await db.query(
          `SELECT status FROM mail_deliveries WHERE dedupe_key LIKE $1 AND status <> 'pending'`,
          [`other:%:${groupId}`],
        )) as unknown[];
        return rows.length === 4;
      },
      { timeoutMs: 15_000, description: 'four deliveries settled' },
    );
    const statuses = (await db.query(
      `SELECT dedupe_key, status, error FROM mail_deliveries WHERE dedupe_key LIKE $1 ORDER BY dedupe_key`,
      [`other:%:${groupId}`],
    )) as { status: string; error: string | null }[];
    expect(statuses.map((row) => [row.status, row.error])).toEqual([
      ['sent', null],
      ['sent', null],
      ['sent', null],
      ['skipped', 'not_group_admin'],
    ]);
    expect(parseMail((await mailsTo(erased))[0].raw).headers.get('subject')).toBe(
      'Your account has been deleted',
    );
    expect(parseMail((await mailsTo(requester))[0].raw).decoded).toContain(
      `${AppUrl}/exports/${exportId}?token=abc123`,
    );
    expect(parseMail((await mailsTo(admin))[0].raw).headers.get('subject')).toBe(
      'Allotment will be deleted in 14 days',
    );
  });
  it('renders every activity kind from its record at send time', async () => {
    const recipient = await world.user();
    const actor = await world.user({ name: 'Grace' });
    const groupId = await world.group('Allotment');
    await world.member(groupId, recipient);
    await world.member(groupId, actor);
    const discussionId = await world.discussion(groupId, actor, 'Seeds');
    const commentId = await world.comment(discussionId, actor);
    const mentionId = await world.activity(
      'user_mentioned',
      { type: 'Comment', id: commentId },
      { userId: actor },
    );
    const pollId = await world.poll({ authorId: actor, groupId, title: 'Tomatoes' });
    const closedPollId = await world.poll({
      authorId: recipient,
      groupId,
      title: 'Beans',
      closedAt: new Date(),
    });
    const outcomeId = await world.outcome(closedPollId, recipient, { reviewOn: '2026-11-24' });
    const joined = await world.member(await world.group('Orchard'), actor, { inviterId: recipient });
    const taskId = await world.insert('tasks', {
      author_id: actor,
      uid: 1,
      name: 'Water the beds',
      due_on: '2026-11-30',
      record_type: 'Discussion',
      record_id: discussionId,
    });
    await world.insert('tasks_users', { task_id: taskId, user_id: recipient });
    const jobs = [
      ['new_discussion', 'Discussion', discussionId, 'New thread: Seeds'],
      ['user_mentioned', 'Event', mentionId, 'Grace mentioned you in Seeds'],
      ['poll_created', 'Poll', pollId, 'New poll: Tomatoes'],
      ['poll_reminder', 'Poll', pollId, 'Reminder: Tomatoes'],
      ['outcome_review_due', 'Outcome', outcomeId, 'Time to review: Beans'],
      ['invitation_accepted', 'Membership', joined, 'Grace joined Orchard'],
      ['task_reminder', 'Task', taskId, 'Reminder: Water the beds'],
    ] as const;
    for (const [kind, recordType, recordId] of jobs) {
      const dedupeKey = `render:${kind}:${recordId}`;
      await publish(
        Subjects.DeliverEmail,
        { kind, recipientId: recipient, recordType, recordId, dedupeKey },
        dedupeKey,
      );
    }
    await waitFor(async () => (await mailsTo(recipient)).length === jobs.length, {
      timeoutMs: 15_000,
      description: `${jobs.length} mails`,
    });
    const subjects = (await mailsTo(recipient)).map((mail) => parseMail(mail.raw).headers.get('subject'));
    expect([...subjects].sort()).toEqual(jobs.map(([, , , subject]) => subject).sort());
    const taskMail = (await mailsTo(recipient)).find((mail) => mail.raw.includes('Water the beds'))!;
    expect(parseMail(taskMail.raw).decoded).toContain(`${AppUrl}/d/`);
  });
});
