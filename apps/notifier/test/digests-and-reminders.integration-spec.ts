import type { DataSource } from 'typeorm';
import { createMigratedTestDatabase, type TestDatabase, openTestDataSource } from '@lib/testing';
import { CatchUpDigests } from '../src/digests/send-catch-up-digests';
import { OutcomeReviews } from '../src/reminders/announce-outcome-reviews';
import { TaskReminders } from '../src/reminders/send-task-reminders';
import { NotifyWorld, recipientsOf, sorted, type UserOptions } from './notify-world';

const Hour = 3600_000;
/** Monday 23 November 2026, 06:00 UTC. */
const MondaySixUtc = new Date('2026-11-23T06:00:00Z');
const WednesdaySixUtc = new Date('2026-11-25T06:00:00Z');

describe('notifier digests and reminders (real PostgreSQL, fixed clocks)', () => {
  let database: TestDatabase;
  let db: DataSource;
  let world: NotifyWorld;
  let digests: CatchUpDigests;

  beforeAll(async () => {
    database = await createMigratedTestDatabase();
    db = await openTestDataSource(database.url);
    world = new NotifyWorld(db);
    digests = new CatchUpDigests(db, 3);
  });

  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  beforeEach(async () => {
    await db.query(`DELETE FROM outbox_messages`);
    // Each test's readers only: earlier tests' users stay out of the digest runs.
    await db.query(`UPDATE users SET email_catch_up_day = NULL`);
  });

  /** A reader of a thread in which someone else posted at `postedAt`. */
  async function readerWithActivity(
    options: UserOptions,
    postedAt: Date | Date[],
    thread: { volume?: number | null; lastReadAt?: Date | null; ownPost?: boolean } = {},
  ): Promise<number> {
    const userId = await world.user(options);
    const poster = await world.user();
    const groupId = await world.groupOf(userId, poster);
    const discussionId = await world.discussion(groupId, poster);
    if (thread.volume !== undefined || thread.lastReadAt !== undefined) {
      await world.reader(discussionId, userId, {
        volume: thread.volume ?? null,
        lastReadAt: thread.lastReadAt ?? null,
      });
    }
    let sequenceId = 0;
    for (const createdAt of Array.isArray(postedAt) ? postedAt : [postedAt]) {
      const commentId = await world.comment(discussionId, poster);
      await world.activity(
        'new_comment',
        { type: 'Comment', id: commentId },
        { userId: thread.ownPost ? userId : poster, discussionId, sequenceId: ++sequenceId, createdAt },
      );
    }
    return userId;
  }

  const digestFor = async (userId: number) => world.queuedMails({ kind: 'catch_up', recipientId: userId });

  describe('send-catch-up-digests', () => {
    it('sends at 6 AM local time: UTC (NULL zone), UTC+5:30 at 06:30, UTC-5, and an unknown zone as UTC', async () => {
      const day = new Date('2026-11-24T00:00:00Z');
      const recent = (at: string) => new Date(new Date(at).getTime() - 2 * Hour);
      const utc = await readerWithActivity({ catchUpDay: 7, timeZone: null }, recent('2026-11-24T06:00:00Z'));
      const kolkata = await readerWithActivity(
        { catchUpDay: 7, timeZone: 'Asia/Kolkata' },
        recent('2026-11-24T01:00:00Z'),
      );
      const bogota = await readerWithActivity(
        { catchUpDay: 7, timeZone: 'America/Bogota' },
        recent('2026-11-24T11:00:00Z'),
      );
      const unknown = await readerWithActivity(
        { catchUpDay: 7, timeZone: 'Mars/Olympus' },
        recent('2026-11-24T06:00:00Z'),
      );
      const sentAt = new Map<number, string[]>();
      for (let hour = 0; hour < 24; hour++) {
        const at = new Date(day.getTime() + hour * Hour);
        await digests.sendAll(at);
        for (const userId of [utc, kolkata, bogota, unknown]) {
          const mails = await digestFor(userId);
          if (mails.length > (sentAt.get(userId)?.length ?? 0)) {
            sentAt.set(userId, [...(sentAt.get(userId) ?? []), at.toISOString()]);
          }
        }
      }
      expect(sentAt.get(utc)).toEqual(['2026-11-24T06:00:00.000Z']);
      expect(sentAt.get(kolkata)).toEqual(['2026-11-24T01:00:00.000Z']);
      expect(sentAt.get(bogota)).toEqual(['2026-11-24T11:00:00.000Z']);
      expect(sentAt.get(unknown)).toEqual(['2026-11-24T06:00:00.000Z']);
      const [mail] = await digestFor(kolkata);
      expect(mail).toMatchObject({
        recordType: 'User',
        recordId: kolkata,
        dedupeKey: `catch_up:${kolkata}:2026-11-24`,
        since: '2026-11-23T01:00:00.000Z',
        until: '2026-11-24T01:00:00.000Z',
      });
    });

    it('uses the local weekday: a +14 zone gets its Tuesday digest on Monday UTC', async () => {
      const at = new Date('2026-11-23T16:00:00Z');
      const tuesday = await readerWithActivity(
        { catchUpDay: 2, timeZone: 'Pacific/Kiritimati' },
        new Date(at.getTime() - Hour),
      );
      const monday = await readerWithActivity(
        { catchUpDay: 1, timeZone: 'Pacific/Kiritimati' },
        new Date(at.getTime() - Hour),
      );
      await digests.sendAll(at);
      expect(await digestFor(tuesday)).toHaveLength(1);
      expect(await digestFor(monday)).toHaveLength(0);
    });

    it('honours every setting: null never, 7 daily, 8 Mon/Wed/Fri, 0..6 on that weekday', async () => {
      const settings = [null, 0, 1, 2, 3, 4, 5, 6, 7, 8];
      const users = new Map<number | null, number>();
      for (const setting of settings) {
        users.set(
          setting,
          await readerWithActivity({ catchUpDay: setting }, [
            new Date(MondaySixUtc.getTime() - Hour),
            new Date(MondaySixUtc.getTime() + 23 * Hour),
            new Date(WednesdaySixUtc.getTime() - Hour),
          ]),
        );
      }
      await digests.sendAll(MondaySixUtc);
      const sentOn = async () => {
        const due: (number | null)[] = [];
        for (const setting of settings)
          if ((await digestFor(users.get(setting)!)).length > 0) due.push(setting);
        return due;
      };
      expect(await sentOn()).toEqual([1, 7, 8]);
      await db.query(`DELETE FROM outbox_messages`);
      await digests.sendAll(new Date('2026-11-24T06:00:00Z'));
      expect(await sentOn()).toEqual([2, 7]);
      await db.query(`DELETE FROM outbox_messages`);
      await digests.sendAll(WednesdaySixUtc);
      expect(await sentOn()).toEqual([3, 7, 8]);
    });

    it('looks back 72 h on Monday and 48 h on Wednesday for Mon/Wed/Fri, capped even without a previous digest', async () => {
      const sixtyHoursBeforeMonday = new Date(MondaySixUtc.getTime() - 60 * Hour);
      const onMonday = await readerWithActivity({ catchUpDay: 8 }, sixtyHoursBeforeMonday);
      await digests.sendAll(MondaySixUtc);
      expect(await digestFor(onMonday)).toEqual([
        expect.objectContaining({ since: '2026-11-20T06:00:00.000Z', until: '2026-11-23T06:00:00.000Z' }),
      ]);
      const sixtyHoursBeforeWednesday = new Date(WednesdaySixUtc.getTime() - 60 * Hour);
      const onWednesday = await readerWithActivity({ catchUpDay: 8 }, sixtyHoursBeforeWednesday);
      await digests.sendAll(WednesdaySixUtc);
      expect(await digestFor(onWednesday)).toEqual([]);
    });

    it('starts at last_catch_up_at, sets it when queued, and a second run in the slot sends nothing', async () => {
      const lastDigest = new Date(MondaySixUtc.getTime() - 3 * Hour);
      const userId = await readerWithActivity({ catchUpDay: 7, lastCatchUpAt: lastDigest }, [
        new Date(MondaySixUtc.getTime() - 5 * Hour),
        new Date(MondaySixUtc.getTime() - Hour),
      ]);
      const first = await digests.sendAll(MondaySixUtc);
      expect(first.queued).toBeGreaterThanOrEqual(1);
      expect(await digestFor(userId)).toEqual([
        expect.objectContaining({ since: lastDigest.toISOString(), until: MondaySixUtc.toISOString() }),
      ]);
      const [user] = (await db.query(`SELECT last_catch_up_at FROM users WHERE id = $1`, [userId])) as {
        last_catch_up_at: Date;
      }[];
      expect(user.last_catch_up_at).toEqual(MondaySixUtc);
      await digests.sendAll(new Date(MondaySixUtc.getTime() + 20 * 60_000));
      expect(await digestFor(userId)).toHaveLength(1);
    });

    it('sends nothing when nothing is new: read, own posts, muted threads, outside the window, deactivated', async () => {
      const before = (hours: number) => new Date(MondaySixUtc.getTime() - hours * Hour);
      const quietUsers = [
        await readerWithActivity({ catchUpDay: 7 }, before(1), { lastReadAt: before(0.5) }),
        await readerWithActivity({ catchUpDay: 7 }, before(1), { ownPost: true }),
        await readerWithActivity({ catchUpDay: 7 }, before(1), { volume: 0 }),
        await readerWithActivity({ catchUpDay: 7 }, before(30)),
        await readerWithActivity({ catchUpDay: 7, deactivated: true }, before(1)),
      ];
      const partlyRead = await readerWithActivity({ catchUpDay: 7 }, [before(3), before(1)], {
        lastReadAt: before(2),
      });
      await digests.sendAll(MondaySixUtc);
      for (const userId of quietUsers) expect(await digestFor(userId)).toEqual([]);
      expect(await digestFor(partlyRead)).toHaveLength(1);
      const [untouched] = (await db.query(`SELECT last_catch_up_at FROM users WHERE id = $1`, [
        quietUsers[0],
      ])) as {
        last_catch_up_at: Date | null;
      }[];
      expect(untouched.last_catch_up_at).toBeNull();
    });
  });

  describe('send-task-reminders', () => {
    async function task(options: { remindAt: Date; done?: boolean; assignees: number[] }): Promise<number> {
      const author = await world.user();
      const taskId = await world.insert('tasks', {
        author_id: author,
        uid: 1,
        name: 'Book the room',
        due_on: '2026-11-30',
        remind: 1,
        remind_at: options.remindAt,
        done: options.done ?? false,
      });
      for (const userId of options.assignees)
        await world.insert('tasks_users', { task_id: taskId, user_id: userId });
      return taskId;
    }

    it('mails each active assignee once, even for a :30 reminder time or a missed run, and never again', async () => {
      const reminders = new TaskReminders(db, 2);
      const now = new Date('2026-11-29T06:10:00Z');
      const active = await world.user();
      const other = await world.user();
      const deactivated = await world.user({ deactivated: true });
      const due = await task({
        remindAt: new Date('2026-11-29T05:30:00Z'),
        assignees: [active, other, deactivated],
      });
      const missed = await task({ remindAt: new Date('2026-11-27T06:00:00Z'), assignees: [active] });
      const future = await task({ remindAt: new Date('2026-11-29T07:00:00Z'), assignees: [active] });
      const done = await task({
        remindAt: new Date('2026-11-29T05:00:00Z'),
        done: true,
        assignees: [active],
      });

      await reminders.remindAll(now);
      expect(recipientsOf(await world.queuedMails({ kind: 'task_reminder', recordId: due }))).toEqual(
        sorted([active, other]),
      );
      expect(recipientsOf(await world.queuedMails({ kind: 'task_reminder', recordId: missed }))).toEqual([
        active,
      ]);
      expect(await world.queuedMails({ kind: 'task_reminder', recordId: future })).toEqual([]);
      expect(await world.queuedMails({ kind: 'task_reminder', recordId: done })).toEqual([]);

      await reminders.remindAll(new Date(now.getTime() + Hour));
      expect(await world.queuedMails({ kind: 'task_reminder', recordId: due })).toHaveLength(2);
      expect(await world.queuedMails({ kind: 'task_reminder', recordId: future })).toHaveLength(1);
    });
  });

  describe('announce-outcome-reviews', () => {
    it('tells the author once per review date; a missed day fires and a moved date re-arms it', async () => {
      const reviews = new OutcomeReviews(db, 2);
      const author = await world.user();
      const groupId = await world.groupOf(author);
      const pollId = await world.poll({ authorId: author, groupId, closedAt: new Date() });
      const today = await world.outcome(pollId, author, { reviewOn: '2026-11-24' });
      const missed = await world.outcome(pollId, author, { reviewOn: '2026-11-20' });
      const later = await world.outcome(pollId, author, { reviewOn: '2026-12-01' });
      const mailsAbout = (outcomeId: number) =>
        world.queuedMails({ kind: 'outcome_review_due', recordId: outcomeId });

      await reviews.announceAll('2026-11-24');
      expect(recipientsOf(await mailsAbout(today))).toEqual([author]);
      expect(recipientsOf(await mailsAbout(missed))).toEqual([author]);
      expect(await mailsAbout(later)).toEqual([]);
      const [notification] = (await db.query(
        `SELECT n.user_id, n.kind FROM notifications n JOIN events e ON e.id = n.event_id
         WHERE e.kind = 'outcome_review_due' AND e.eventable_id = $1`,
        [today],
      )) as { user_id: string; kind: string }[];
      expect(notification).toEqual({ user_id: String(author), kind: 'outcome_review_due' });

      await reviews.announceAll('2026-11-25');
      expect(await mailsAbout(today)).toHaveLength(1);

      await db.query(`UPDATE outcomes SET review_on = '2026-12-03' WHERE id = $1`, [today]);
      await reviews.announceAll('2026-12-02');
      expect(await mailsAbout(today)).toHaveLength(1);
      expect(recipientsOf(await mailsAbout(later))).toEqual([author]);
      await reviews.announceAll('2026-12-03');
      expect(await mailsAbout(today)).toHaveLength(2);
    });
  });
});
