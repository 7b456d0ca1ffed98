import { connect, type NatsConnection } from 'nats';
import type { DataSource } from 'typeorm';
import { Contracts, DeliverEmail, Subjects, type PayloadOf } from '@lib/contracts';
import type { RunningService } from '@lib/jetstream';
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
import { MailWorld, parseMail } from './mail-world';

type Payload = PayloadOf<typeof DeliverEmail>;

const AppUrl = 'http://app.test';

// The production backoff waits 16 s or more before the first retry; the retry itself is what is tested here.
const ContractsWithQuickRetries = {
  ...Contracts,
  [Subjects.DeliverEmail]: {
    ...DeliverEmail,
    options: { ...DeliverEmail.options, backoff: { type: 'fixed' as const, delayMs: 300 } },
  },
};

describe('notifier deliver-email (real NATS, PostgreSQL and SMTP)', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let smtp: SmtpCaptureHandle;
  let db: DataSource;
  let world: MailWorld;
  let client: NatsConnection;
  const replicas: RunningService[] = [];
  let job = 0;

  beforeAll(async () => {
    [nats, database, smtp] = await Promise.all([
      startNatsServer(),
      createMigratedTestDatabase(),
      startSmtpCapture(),
    ]);
    db = await openTestDataSource(database.url);
    world = new MailWorld(db);
    for (let i = 0; i < 2; i++) {
      replicas.push(
        await startServiceUnderTest({
          name: 'notifier',
          module: NotifierModule,
          configSchema: NotifierConfigSchema,
          natsUrl: nats.url,
          databaseUrl: database.url,
          contracts: ContractsWithQuickRetries,
          env: { SMTP_URL: smtp.url, APP_URL: AppUrl, MAIL_FROM: 'Loomio <notifications@loomio.test>' },
        }),
      );
    }
    client = await connect({ servers: nats.url });
  });

  afterAll(async () => {
    for (const replica of replicas) await replica.stop();
    await client?.close();
    await smtp?.stop();
    await db?.destroy();
    await nats?.cleanup();
    await database?.drop();
  });

  function newDedupeKey(): string {
    return `test:${process.pid}:${++job}`;
  }

  async function publish(payload: Payload, msgID = `${payload.dedupeKey}:${Math.random()}`): Promise<void> {
    await client.jetstream().publish(Subjects.DeliverEmail, JSON.stringify(payload), { msgID });
  }

  async function settled(dedupeKey: string) {
    await waitFor(
      async () => ['sent', 'skipped', 'bounced'].includes((await world.delivery(dedupeKey))?.status ?? ''),
      {
        timeoutMs: 10_000,
        description: `mail_deliveries ${dedupeKey} settled`,
      },
    );
    return (await world.delivery(dedupeKey))!;
  }

  const mailsTo = (address: string) => smtp.messages.filter((mail) => mail.to.includes(address));

  it('sends HTML and text in the recipient language with the bulk headers and the unsubscribe link', async () => {
    const recipient = await world.user({ locale: 'de' });
    const pollId = await world.poll({ authorId: recipient.id });
    const dedupeKey = newDedupeKey();
    await publish({
      kind: 'poll_closing_soon',
      recipientId: recipient.id,
      recordType: 'Poll',
      recordId: pollId,
      dedupeKey,
    });

    const row = await settled(dedupeKey);
    expect(row).toMatchObject({ status: 'sent', error: null, to_address: recipient.email });
    expect(row.sent_at).toBeInstanceOf(Date);
    const [mail] = mailsTo(recipient.email);
    const { headers, decoded } = parseMail(mail.raw);
    expect(row.message_id).toBe(headers.get('message-id'));
    const unsubscribeUrl = `${AppUrl}/email_preferences?unsubscribe_token=${recipient.unsubscribeToken}`;
    expect(headers.get('precedence')).toBe('bulk');
    expect(headers.get('auto-submitted')).toBe('auto-generated');
    expect(headers.get('list-unsubscribe')).toBe(`<${unsubscribeUrl}>`);
    expect(headers.get('from')).toBe('Loomio <notifications@loomio.test>');
    expect(headers.get('subject')).toBe('Endet bald: Lunch <menu> & more');
    expect(headers.get('content-type')).toMatch(/^multipart\/alternative/);
    expect(decoded).toMatch(/Content-Type: text\/plain/);
    expect(decoded).toMatch(/Content-Type: text\/html/);
    // The text part as written, the HTML part escaped.
    expect(decoded).toContain('Die Abstimmung „Lunch <menu> & more“ endet am');
    expect(decoded).toContain('<strong>Lunch &lt;menu&gt; &amp; more</strong>');
    expect(decoded).toContain(`${AppUrl}/p/`);
    expect(decoded).toContain(unsubscribeUrl);
    expect(decoded).toContain('Abbestellen');
  });

  it('falls back to English for a language without templates', async () => {
    const recipient = await world.user({ locale: 'fr' });
    const pollId = await world.poll({ authorId: recipient.id, title: 'Budget' });
    const dedupeKey = newDedupeKey();
    await publish({
      kind: 'poll_closed',
      recipientId: recipient.id,
      recordType: 'Poll',
      recordId: pollId,
      dedupeKey,
    });
    expect(await settled(dedupeKey)).toMatchObject({ status: 'sent' });
    const { headers, decoded } = parseMail(mailsTo(recipient.email)[0].raw);
    expect(headers.get('subject')).toBe('Poll closed: Budget');
    expect(decoded).toContain('See the results');
  });

  it('sends one mail for a job delivered three times to two replicas', async () => {
    const recipient = await world.user();
    const pollId = await world.poll({ authorId: recipient.id });
    const payload: Payload = {
      kind: 'poll_closed',
      recipientId: recipient.id,
      recordType: 'Poll',
      recordId: pollId,
      dedupeKey: newDedupeKey(),
    };
    await Promise.all([publish(payload, 'a'), publish(payload, 'b'), publish(payload, 'c')]);
    expect(await settled(payload.dedupeKey)).toMatchObject({ status: 'sent' });
    await sleep(1_500);
    expect(mailsTo(recipient.email)).toHaveLength(1);
  });

  it('retries a temporary refusal (451) and sends once', async () => {
    const recipient = await world.user();
    const pollId = await world.poll({ authorId: recipient.id });
    const dedupeKey = newDedupeKey();
    smtp.failNext(451, 'Greylisted, try again later');
    await publish({
      kind: 'poll_closed',
      recipientId: recipient.id,
      recordType: 'Poll',
      recordId: pollId,
      dedupeKey,
    });
    expect(await settled(dedupeKey)).toMatchObject({ status: 'sent', error: null });
    await sleep(1_000);
    expect(mailsTo(recipient.email)).toHaveLength(1);
  });

  it('records a permanent refusal (550) as bounced and does not retry', async () => {
    const recipient = await world.user();
    const pollId = await world.poll({ authorId: recipient.id });
    const dedupeKey = newDedupeKey();
    smtp.failNext(550, 'No such mailbox');
    await publish({
      kind: 'poll_closed',
      recipientId: recipient.id,
      recordType: 'Poll',
      recordId: pollId,
      dedupeKey,
    });
    const row = await settled(dedupeKey);
    expect(row.status).toBe('bounced');
    expect(row.error).toMatch(/550/);
    // A retry would find the relay accepting again and send it.
    await sleep(1_500);
    expect(mailsTo(recipient.email)).toHaveLength(0);
    expect((await world.delivery(dedupeKey))?.status).toBe('bounced');
  });

  it.each([
    [{ deactivated: true }, 'user_deactivated'],
    [{ spamComplaint: true }, 'spam_complaint'],
    [{ verified: false }, 'email_unverified'],
  ])('skips a user with %j and records why', async (userOptions, reason) => {
    const recipient = await world.user(userOptions);
    const pollId = await world.poll({ authorId: recipient.id });
    const dedupeKey = newDedupeKey();
    await publish({
      kind: 'poll_closing_soon',
      recipientId: recipient.id,
      recordType: 'Poll',
      recordId: pollId,
      dedupeKey,
    });
    expect(await settled(dedupeKey)).toMatchObject({ status: 'skipped', error: reason, message_id: null });
    expect(mailsTo(recipient.email)).toHaveLength(0);
  });

  it('skips a mail about a record discarded since the job was queued', async () => {
    const recipient = await world.user();
    const pollId = await world.poll({ authorId: recipient.id, discarded: true });
    const dedupeKey = newDedupeKey();
    await publish({
      kind: 'poll_closed',
      recipientId: recipient.id,
      recordType: 'Poll',
      recordId: pollId,
      dedupeKey,
    });
    expect(await settled(dedupeKey)).toMatchObject({ status: 'skipped', error: 'record_discarded' });
    expect(mailsTo(recipient.email)).toHaveLength(0);
  });

  it('sends a membership invitation to an unverified address', async () => {
    const inviter = await world.user();
    const recipient = await world.user({ verified: false });
    const groupId = await world.group('Garden club');
    const token = `invite-${process.pid}-${recipient.id}`;
    const membershipId = await world.invitation(groupId, recipient.id, inviter.id, token);
    const dedupeKey = newDedupeKey();
    await publish({
      kind: 'membership_invitation',
      recipientId: recipient.id,
      recordType: 'Membership',
      recordId: membershipId,
      dedupeKey,
    });
    expect(await settled(dedupeKey)).toMatchObject({ status: 'sent' });
    const { headers, decoded } = parseMail(mailsTo(recipient.email)[0].raw);
    expect(headers.get('subject')).toBe('You are invited to join Garden club');
    expect(decoded).toContain(`${AppUrl}/invitations/${token}`);
    expect(decoded).toMatch(/User \d+ has invited you to join/);
  });
});
