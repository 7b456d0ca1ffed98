import type { DataSource } from 'typeorm';
import {
  AnnouncementDelivered,
  BatchIdHeader,
  Contracts,
  DeliverEmail,
  type PayloadOf,
} from '@lib/contracts';
import { JobBatches } from '@lib/jetstream';
import { createMigratedTestDatabase, type TestDatabase, openTestDataSource } from '@lib/testing';
import { notifyMembershipInvited } from '../src/notifications/membership-activity';
import { NotifyWorld } from './notify-world';

interface QueuedRow {
  subject: string;
  headers: Record<string, string>;
  payload: Record<string, unknown>;
}

describe('announcement fan-out as a batch (real PostgreSQL)', () => {
  let database: TestDatabase;
  let db: DataSource;
  let world: NotifyWorld;

  beforeAll(async () => {
    database = await createMigratedTestDatabase();
    db = await openTestDataSource(database.url);
    world = new NotifyWorld(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const queued = async (subject: string) =>
    (await db.query(`SELECT subject, headers, payload FROM outbox_messages WHERE subject = $1 ORDER BY id`, [
      subject,
    ])) as QueuedRow[];

  async function invite(count: number, pending = true): Promise<{ groupId: number; eventId: number }> {
    const admin = await world.user();
    const groupId = await world.groupOf(admin);
    const memberships: number[] = [];
    for (let i = 0; i < count; i++)
      memberships.push(await world.member(groupId, await world.user(), { pending, inviterId: admin }));
    const eventId = await world.activity(
      'membership_created',
      { type: 'Group', id: groupId },
      { userId: admin },
    );
    await db.query(`DELETE FROM outbox_messages`);
    await db.transaction((manager) =>
      notifyMembershipInvited(manager, { eventId, actorId: admin, groupId, membershipIds: memberships }),
    );
    return { groupId, eventId };
  }

  it('publishes one events.announcement.delivered once every invitation mail is sent or dead', async () => {
    const { groupId, eventId } = await invite(3);
    const mails = await queued(DeliverEmail.subject);
    expect(mails).toHaveLength(3);
    const batchId = mails[0].headers[BatchIdHeader];
    expect(batchId).toBeTruthy();
    expect(new Set(mails.map((mail) => mail.headers[BatchIdHeader]))).toEqual(new Set([batchId]));
    expect(mails[0].headers['ce-id']).toBe(`deliver-email:${String(mails[0].payload.dedupeKey)}`);

    // What the runtime reports as the deliver-email jobs end; the last one finishes the batch.
    const batches = new JobBatches(db, Contracts, 'notifier');
    const report = (i: number, state: 'completed' | 'dead') =>
      batches.recordFinal({
        batchId,
        jobId: mails[i].headers['ce-id'],
        subject: DeliverEmail.subject,
        state,
        ...(state === 'dead' ? { error: 'SMTP 550 mailbox unavailable' } : {}),
      });
    await report(0, 'completed');
    await report(1, 'dead');
    expect(await queued(AnnouncementDelivered.subject)).toEqual([]);
    await report(1, 'completed'); // a redelivery after a lost ack changes nothing
    await report(2, 'completed');
    const delivered = await queued(AnnouncementDelivered.subject);
    expect(delivered).toHaveLength(1);
    const event = AnnouncementDelivered.schema.parse(delivered[0].payload) as PayloadOf<
      typeof AnnouncementDelivered
    >;
    expect(event).toMatchObject({ groupId, eventId, batchId, total: 3, succeeded: 2, failed: 1 });
    expect(event.failures).toEqual([
      {
        jobId: mails[1].headers['ce-id'],
        subject: DeliverEmail.subject,
        state: 'dead',
        error: 'SMTP 550 mailbox unavailable',
      },
    ]);
  });

  it('publishes it at once, with nothing sent, when nobody gets a mail', async () => {
    // Memberships accepted meanwhile: nobody is invited any more.
    const { groupId, eventId } = await invite(2, false);
    expect(await queued(DeliverEmail.subject)).toEqual([]);
    const [delivered] = await queued(AnnouncementDelivered.subject);
    expect(delivered.payload).toMatchObject({
      groupId,
      eventId,
      total: 0,
      succeeded: 0,
      failed: 0,
      failures: [],
    });
  });
});
