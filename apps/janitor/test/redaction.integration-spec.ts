import { createHash } from 'node:crypto';
import type { NatsConnection } from 'nats';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { Contracts } from '@lib/contracts';
import { Outbox } from '@lib/db';
import { OutboxRelay, type RunningService } from '@lib/jetstream';
import {
  createMigratedTestDatabase,
  openTestDataSource,
  startServiceUnderTest,
  startTestServers,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
  type TestServers,
} from '@lib/testing';
import { AccountStatus } from '../src/accounts/account-status';
import { JanitorConfigSchema } from '../src/config';
import { JanitorModule } from '../src/janitor.module';
import { confirmationDedupeKey, UserRedaction } from '../src/redaction/user-redaction';
import { SearchIndex } from '../src/search/search-index';
import { JanitorWorld } from './janitor-world';

const quiet = pino({ level: 'silent' });

interface Person {
  id: number;
  email: string;
  name: string;
  username: string;
  secrets: string[];
}

/** A person with every personal field filled in and copies of their name and address around the schema. */
async function personWithTraces(world: JanitorWorld, db: DataSource, tag: string): Promise<Person> {
  const email = `Ada.${tag}@Example.org`;
  const name = `Ada Lovelace${tag}`;
  const username = `ada${tag}`;
  const secrets = [`api-${tag}`, `email-api-${tag}`, `secret-${tag}`, `auth-${tag}`, `remember-${tag}`];
  const id = await world.user({
    name,
    email,
    username,
    initials: 'AL',
    api_key: secrets[0],
    email_api_key: secrets[1],
    secret_token: secrets[2],
    authentication_token: secrets[3],
    remember_token: secrets[4],
    encrypted_password: `bcrypt-${tag}`,
    reset_password_token: `reset-${tag}`,
    reset_password_sent_at: new Date(),
    avatar_kind: 'uploaded',
    uploaded_avatar_key: `avatar-${tag}`,
    short_bio: `Countess ${tag}`,
    location: `London ${tag}`,
    city: `London-${tag}`,
    region: `Greater London ${tag}`,
    country: 'GB',
    current_sign_in_ip: '203.0.113.7',
    last_sign_in_ip: '203.0.113.8',
    legal_accepted_at: new Date(),
  });
  const other = await world.user({
    name: `${name}son`,
    email: `other.${tag}@example.org`,
    username: `other${tag}`,
  });
  const group = await world.insert('groups', { name: 'Engines' });
  await world.insert('memberships', { group_id: group, user_id: id, accepted_at: new Date() });
  await world.insert('identities', { user_id: id, identity_type: 'google', uid: `g-${tag}`, email, name });
  await world.insert('identities', {
    identity_type: 'saml',
    uid: `s-${tag}`,
    email: email.toUpperCase(),
    name,
  });
  await world.insert('membership_requests', { group_id: group, requestor_id: id, name, email });
  await world.insert('membership_requests', {
    group_id: group,
    requestor_id: id,
    response: 'approved',
    responded_at: new Date(),
  });
  await world.insert('membership_requests', { group_id: group, name, email: email.toLowerCase() });
  await world.insert('login_tokens', { user_id: id, token: `token-${tag}`, code: 123456 });
  await world.insert('versions', {
    item_type: 'User',
    item_id: id,
    event: 'update',
    whodunnit: id,
    object_changes: { name: ['Ada', name], email: ['x', email] },
  });
  await world.insert('mail_deliveries', {
    dedupe_key: `earlier-${tag}`,
    recipient_id: id,
    to_address: email,
    kind: 'poll_closed',
    status: 'sent',
  });
  const discussion = await world.insert('discussions', {
    group_id: group,
    author_id: other,
    title: 'Engines',
    description: `<p>Ask <span class="mention" data-mention-id="${username}" data-mention-label="${name}">@${name}</span></p>`,
  });
  const event = await world.insert('events', { kind: 'new_comment', user_id: id, discussion_id: discussion });
  await world.insert('notifications', {
    user_id: other,
    event_id: event,
    actor_id: id,
    kind: 'new_comment',
    translation_values: { name, title: 'Engines' },
  });
  await world.insert('notifications', {
    user_id: id,
    event_id: event,
    actor_id: other,
    kind: 'new_comment',
    translation_values: { name: `${name}son`, title: 'Engines' },
  });
  const comment = await world.insert('comments', {
    discussion_id: discussion,
    author_id: other,
    body: `<p><span class="mention" data-mention-id="${username}" data-mention-label="${name}">@${name}</span> and @${username}: the engine</p>`,
  });
  await world.insert('versions', {
    item_type: 'Comment',
    item_id: comment,
    event: 'create',
    whodunnit: other,
    object_changes: {
      body: [
        '',
        `<span class="mention" data-mention-id="${username}" data-mention-label="${name}">@${name}</span>`,
      ],
    },
  });
  await new SearchIndex(db).syncDiscussions([discussion]);
  return { id, email, name, username, secrets };
}

/**
 * For each needle, every text-like column of every table that contains it as a whole word (case-insensitive),
 * as "table.column"; a look-alike such as "Ada Lovelaceson" does not count as "Ada Lovelace".
 */
async function whereFoundEach(db: DataSource, needles: string[]): Promise<Record<string, string[]>> {
  const patterns = needles.map((needle) => `\\m${needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\M`);
  const columns = (await db.query(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema
     WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
       AND (c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'inet', 'tsvector', 'ARRAY'))`,
  )) as { table_name: string; column_name: string }[];
  const found: Record<string, string[]> = Object.fromEntries(needles.map((needle) => [needle, []]));
  for (const { table_name, column_name } of columns) {
    const [hits] = (await db.query(
      `SELECT ${patterns.map((_, i) => `bool_or("${column_name}"::text ~* $${i + 1}) AS "${i}"`).join(', ')}
       FROM "${table_name}"`,
      patterns,
    )) as Record<string, boolean | null>[];
    needles.forEach((needle, i) => {
      if (hits[String(i)]) found[needle].push(`${table_name}.${column_name}`);
    });
  }
  return found;
}

async function whereFound(db: DataSource, needle: string): Promise<string[]> {
  return (await whereFoundEach(db, [needle]))[needle];
}

describe('redact-user (real PostgreSQL)', () => {
  let database: TestDatabase;
  let db: DataSource;
  let world: JanitorWorld;
  let redaction: UserRedaction;

  beforeAll(async () => {
    database = await createMigratedTestDatabase();
    db = await openTestDataSource(database.url);
    world = new JanitorWorld(db);
    const outbox = new Outbox(Contracts, 'urn:test');
    redaction = new UserRedaction(
      db,
      outbox,
      new AccountStatus(db, outbox),
      new SearchIndex(db),
      { maxMailWaitMs: 3600_000 },
      quiet,
    );
  });

  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const outboxCount = async (subject: string, userId: number) =>
    (
      (await db.query(
        `SELECT count(*)::int AS n FROM outbox_messages
         WHERE subject = $1 AND (payload->>'userId' = $2 OR payload->>'recipientId' = $2)`,
        [subject, String(userId)],
      )) as { n: number }[]
    )[0].n;

  it('deactivates, mails, waits for the mail, then leaves no trace of the person; a second request is a no-op', async () => {
    const ada = await personWithTraces(world, db, 'one');
    expect(await whereFound(db, ada.email)).not.toEqual([]);

    expect(await redaction.request(ada.id)).toEqual({ started: true });
    const [user] = await db.query(`SELECT deactivated_at FROM users WHERE id = $1`, [ada.id]);
    expect(user.deactivated_at).not.toBeNull();
    expect(await outboxCount('jobs.notifier.deliver-email', ada.id)).toBe(1);
    expect(await outboxCount('jobs.janitor.erase-user', ada.id)).toBe(1);
    const [mail] = (await db.query(
      `SELECT payload FROM outbox_messages WHERE subject = 'jobs.notifier.deliver-email' AND payload->>'recipientId' = $1`,
      [String(ada.id)],
    )) as { payload: Record<string, unknown> }[];
    expect(mail.payload).toMatchObject({
      kind: 'redaction_confirmation',
      recordType: 'User',
      recordId: ada.id,
    });

    // The notifier has not sent it yet: erasing now would leave it without an address.
    const requestedAt = new Date();
    expect(await redaction.erase(ada.id, requestedAt)).toEqual({
      erased: false,
      reason: 'waiting-for-mail',
      mailStatus: null,
    });
    await db.query(
      `INSERT INTO mail_deliveries (dedupe_key, recipient_id, to_address, kind, status)
       VALUES ($1, $2, $3, 'redaction_confirmation', 'pending')`,
      [confirmationDedupeKey(ada.id), ada.id, ada.email],
    );
    expect(await redaction.erase(ada.id, requestedAt)).toMatchObject({
      erased: false,
      mailStatus: 'pending',
    });
    await db.query(`UPDATE mail_deliveries SET status = 'sent' WHERE dedupe_key = $1`, [
      confirmationDedupeKey(ada.id),
    ]);

    const outcome = await redaction.erase(ada.id, requestedAt);
    expect(outcome).toMatchObject({
      erased: true,
      mailStatus: 'sent',
      rewritten: {
        identities: 2,
        // The pending request already went with the deactivation.
        membership_requests: 2,
        login_tokens: 1,
        versions: 1,
        mail_deliveries: 2,
        notifications: 1,
        'comments.body': 1,
        'discussions.description': 1,
        'versions.object_changes': 1,
      },
    });
    const traces = [ada.email, ada.name, ada.username, ...ada.secrets, 'London', '203.0.113'];
    expect(await whereFoundEach(db, traces)).toEqual(Object.fromEntries(traces.map((trace) => [trace, []])));
    const [erased] = await db.query(
      `SELECT name, email, username, short_bio, location, email_verified, email_sha256, avatar_kind, country
       FROM users WHERE id = $1`,
      [ada.id],
    );
    expect(erased).toEqual({
      name: null,
      email: null,
      username: null,
      short_bio: '',
      location: '',
      email_verified: false,
      email_sha256: createHash('sha256').update('ada.one@example.org').digest('hex'),
      avatar_kind: 'initials',
      country: null,
    });
    // The look-alike's notification and name are untouched.
    expect((await whereFound(db, `${ada.name}son`)).sort()).toEqual([
      'notifications.translation_values',
      'users.name',
    ]);
    const [comment] = await db.query(`SELECT body FROM comments ORDER BY id DESC LIMIT 1`);
    expect(comment.body).toBe(
      '<p><span class="mention">@deleted-user</span> and @deleted-user: the engine</p>',
    );
    const [document] = await db.query(
      `SELECT content FROM search_documents WHERE searchable_type = 'Comment' ORDER BY id DESC LIMIT 1`,
    );
    expect(document.content).toBe('@deleted-user and @deleted-user: the engine');
    expect(await outboxCount('events.user.redacted', ada.id)).toBe(1);

    expect(await redaction.request(ada.id)).toEqual({ started: false, reason: 'already-redacted' });
    expect(await redaction.erase(ada.id, requestedAt)).toEqual({ erased: false, reason: 'already-redacted' });
    expect(await outboxCount('jobs.notifier.deliver-email', ada.id)).toBe(1);
  });

  it('erases anyway once the confirmation mail has been pending too long', async () => {
    const ada = await personWithTraces(world, db, 'two');
    await redaction.request(ada.id);
    const requestedAt = new Date(Date.now() - 3600_000 - 1000);
    expect(await redaction.erase(ada.id, requestedAt)).toMatchObject({ erased: true, mailStatus: null });
    expect(await whereFound(db, ada.email)).toEqual([]);
  });
});

describe('redact-user through NATS: no trace in any stream', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let servers: TestServers;
  let db: DataSource;
  let janitor: RunningService;
  let client: NatsConnection;
  let relay: OutboxRelay;

  beforeAll(async () => {
    servers = await startTestServers();
    ({ nats, database, db, client } = servers);
    janitor = await startServiceUnderTest({
      name: 'janitor',
      module: JanitorModule,
      configSchema: JanitorConfigSchema,
      natsUrl: nats.url,
      databaseUrl: database.url,
      env: { REDACTION_MAIL_POLL_MS: '100' },
    });
    relay = new OutboxRelay(db, client.jetstream(), database.url, quiet);
    await relay.start();
  });

  afterAll(async () => {
    await relay?.stop();
    await janitor?.stop();
    await servers?.stop();
  });

  it('erases after the mail is final, and the streams never carried the name or the address', async () => {
    const ada = await personWithTraces(new JanitorWorld(db), db, 'three');
    const js = client.jetstream();
    await js.publish('jobs.janitor.redact-user', JSON.stringify({ userId: ada.id }));
    const jsm = await client.jetstreamManager();
    // Stand in for the notifier: the mail job reaches the stream, and its delivery becomes final.
    await waitFor(async () => {
      const info = await jsm.streams.info('JOBS', { subjects_filter: 'jobs.notifier.deliver-email' });
      return (info.state.subjects?.['jobs.notifier.deliver-email'] ?? 0) > 0;
    });
    await db.query(
      `INSERT INTO mail_deliveries (dedupe_key, recipient_id, to_address, kind, status)
       VALUES ($1, $2, $3, 'redaction_confirmation', 'sent')`,
      [confirmationDedupeKey(ada.id), ada.id, ada.email],
    );
    await waitFor(async () => {
      const [user] = await db.query(`SELECT email FROM users WHERE id = $1`, [ada.id]);
      return user.email === null;
    });
    await waitFor(async () => {
      const info = await jsm.streams.info('EVENTS', { subjects_filter: 'events.user.redacted' });
      return (info.state.subjects?.['events.user.redacted'] ?? 0) > 0;
    });

    const traces = [ada.email, ada.name, ada.username].map((trace) => trace.toLowerCase());
    let messages = 0;
    for await (const stream of jsm.streams.list()) {
      const { first_seq, last_seq } = stream.state;
      for (let seq = first_seq; seq <= last_seq && stream.state.messages > 0; seq++) {
        const msg = await jsm.streams.getMessage(stream.config.name, { seq }).catch(() => null);
        if (!msg) continue;
        messages += 1;
        const headers = msg.header
          ? [...msg.header].map(([key, values]) => `${key}:${values.join(',')}`)
          : [];
        const text =
          `${msg.subject} ${headers.join(' ')} ${Buffer.from(msg.data).toString('utf8')}`.toLowerCase();
        for (const trace of traces)
          expect({ seq, stream: stream.config.name, hit: text.includes(trace) }).toEqual({
            seq,
            stream: stream.config.name,
            hit: false,
          });
      }
    }
    expect(messages).toBeGreaterThan(3);
    expect(await whereFound(db, ada.email)).toEqual([]);
  });
});
