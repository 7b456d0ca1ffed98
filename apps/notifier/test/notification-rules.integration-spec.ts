import pino from 'pino';
import type { DataSource } from 'typeorm';
import { Contracts } from '@lib/contracts';
import { Inbox, Outbox } from '@lib/db';
import type { JobContext } from '@lib/jetstream';
import { ChatbotFanout } from '../src/chatbots/chatbot-fanout';
import { ActivityNotifier } from '../src/notifications/activity-notifier';
import { createMigratedTestDatabase, type TestDatabase, openTestDataSource } from '@lib/testing';
import { fanOut } from '../src/notifications/activity-fanout';
import { everyoneInScope } from '../src/notifications/audiences';
import { notifyMembershipAccepted, notifyMembershipInvited } from '../src/notifications/membership-activity';
import { notifyPollClosed, notifyPollClosingSoon } from '../src/notifications/poll-notices';
import {
  notifyCommentCreated,
  notifyDiscussionCreated,
  notifyOutcomeCreated,
  notifyPollCreated,
  notifyUserMentioned,
} from '../src/notifications/thread-activity';
import { NotifyWorld, recipientsOf, sorted } from './notify-world';

describe('notifier recipient rules (real PostgreSQL)', () => {
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

  beforeEach(async () => {
    await db.query(`DELETE FROM outbox_messages`);
  });

  describe('discussion created: members and guests by volume', () => {
    it('applies stance > reader > membership > normal, mute, quiet, deactivated, revoked and the actor', async () => {
      const actor = await world.user();
      const normal = await world.user();
      const quietMember = await world.user();
      const loudReaderOfQuietMember = await world.user();
      const mutedReader = await world.user();
      const deactivated = await world.user({ deactivated: true });
      const revoked = await world.user();
      const pending = await world.user();
      const guest = await world.user();
      const outsider = await world.user();
      const groupId = await world.group();
      for (const userId of [actor, normal, deactivated, mutedReader]) await world.member(groupId, userId);
      await world.member(groupId, quietMember, { volume: 1 });
      await world.member(groupId, loudReaderOfQuietMember, { volume: 1 });
      await world.member(groupId, revoked, { revoked: true });
      await world.member(groupId, pending, { pending: true });
      const discussionId = await world.discussion(groupId, actor);
      await world.reader(discussionId, loudReaderOfQuietMember, { volume: 3 });
      await world.reader(discussionId, mutedReader, { volume: 0 });
      await world.reader(discussionId, guest, { guest: true });
      void outsider;
      const eventId = await world.activity(
        'new_discussion',
        { type: 'Discussion', id: discussionId },
        { userId: actor },
      );

      const outcome = await db.transaction((manager) =>
        notifyDiscussionCreated(manager, { eventId, actorId: actor, discussionId, groupId }),
      );

      expect(outcome).toMatchObject({ notified: true, report: { inApp: 4, email: 3 } });
      const notified = await world.notifications(eventId);
      expect(sorted([...notified.keys()])).toEqual(
        sorted([normal, quietMember, loudReaderOfQuietMember, guest]),
      );
      expect(notified.get(normal)).toEqual(['new_discussion']);
      const mails = await world.queuedMails({ kind: 'new_discussion' });
      expect(recipientsOf(mails)).toEqual(sorted([normal, loudReaderOfQuietMember, guest]));
      expect(mails[0]).toMatchObject({ recordType: 'Discussion', recordId: discussionId });
      expect(new Set(mails.map((mail) => mail.dedupeKey)).size).toBe(3);
    });

    it('notifies nobody about a discarded discussion', async () => {
      const actor = await world.user();
      const member = await world.user();
      const groupId = await world.groupOf(actor, member);
      const discussionId = await world.discussion(groupId, actor);
      await db.query(`UPDATE discussions SET discarded_at = now() WHERE id = $1`, [discussionId]);
      const eventId = await world.activity('new_discussion', { type: 'Discussion', id: discussionId });
      const outcome = await db.transaction((manager) =>
        notifyDiscussionCreated(manager, { eventId, actorId: actor, discussionId, groupId }),
      );
      expect(outcome).toEqual({ notified: false, reason: 'record_discarded' });
      expect((await world.notifications(eventId)).size).toBe(0);
    });

    it('refuses (for a retry) an activity row that does not exist', async () => {
      const actor = await world.user();
      const groupId = await world.groupOf(actor);
      const discussionId = await world.discussion(groupId, actor);
      await expect(
        db.transaction((manager) =>
          notifyDiscussionCreated(manager, { eventId: 987654321, actorId: actor, discussionId, groupId }),
        ),
      ).rejects.toThrow(/not found/);
    });
  });

  describe('comment created: the replied-to author, then participants', () => {
    it('tells the parent author once as a reply and participants by volume and email_on_participation', async () => {
      const threadAuthor = await world.user({ emailOnParticipation: true });
      const parentAuthor = await world.user();
      const commenterDefault = await world.user();
      const commenterLoud = await world.user();
      const commenterMuted = await world.user({ emailOnParticipation: true });
      const actor = await world.user({ emailOnParticipation: true });
      const bystander = await world.user();
      const leftGroup = await world.user({ emailOnParticipation: true });
      const groupId = await world.groupOf(
        threadAuthor,
        parentAuthor,
        commenterDefault,
        commenterLoud,
        commenterMuted,
      );
      await world.member(groupId, actor);
      await world.member(groupId, bystander);
      await world.member(groupId, leftGroup, { revoked: true });
      const discussionId = await world.discussion(groupId, threadAuthor);
      await world.reader(discussionId, commenterLoud, { volume: 3 });
      await world.reader(discussionId, commenterMuted, { volume: 0 });
      const parentId = await world.comment(discussionId, parentAuthor);
      await world.comment(discussionId, parentAuthor);
      for (const userId of [commenterDefault, commenterLoud, commenterMuted, leftGroup, actor]) {
        await world.comment(discussionId, userId);
      }
      const commentId = await world.comment(discussionId, actor, parentId);
      const eventId = await world.activity(
        'new_comment',
        { type: 'Comment', id: commentId },
        { userId: actor },
      );

      await db.transaction((manager) =>
        notifyCommentCreated(manager, { eventId, actorId: actor, commentId, discussionId, parentId }),
      );

      const notified = await world.notifications(eventId);
      expect(notified.get(parentAuthor)).toEqual(['comment_replied_to']);
      expect(notified.get(threadAuthor)).toEqual(['new_comment']);
      expect(notified.get(commenterDefault)).toEqual(['new_comment']);
      expect(notified.get(commenterLoud)).toEqual(['new_comment']);
      for (const userId of [commenterMuted, actor, bystander, leftGroup])
        expect(notified.has(userId)).toBe(false);
      expect(recipientsOf(await world.queuedMails({ kind: 'comment_replied_to' }))).toEqual([parentAuthor]);
      // The default-volume commenter did not ask for mail about threads they take part in; the loud one did not need to.
      expect(recipientsOf(await world.queuedMails({ kind: 'new_comment' }))).toEqual(
        sorted([threadAuthor, commenterLoud]),
      );
    });
  });

  describe('polls and outcomes', () => {
    it('poll created: members and invited voters, stance volume first', async () => {
      const actor = await world.user();
      const member = await world.user();
      const quietVoter = await world.user();
      const invitedOutsider = await world.user();
      const groupId = await world.groupOf(actor, member, quietVoter);
      const pollId = await world.poll({ authorId: actor, groupId });
      await world.stance(pollId, quietVoter, { volume: 1 });
      await world.stance(pollId, invitedOutsider);
      const eventId = await world.activity('poll_created', { type: 'Poll', id: pollId }, { userId: actor });
      await db.transaction((manager) =>
        notifyPollCreated(manager, { eventId, actorId: actor, pollId, groupId, discussionId: null }),
      );
      expect(sorted([...(await world.notifications(eventId)).keys()])).toEqual(
        sorted([member, quietVoter, invitedOutsider]),
      );
      expect(recipientsOf(await world.queuedMails({ kind: 'poll_created' }))).toEqual(
        sorted([member, invitedOutsider]),
      );
    });

    it('outcome created: everyone who can see the poll, the outcome as the mail record', async () => {
      const actor = await world.user();
      const member = await world.user();
      const groupId = await world.groupOf(actor, member);
      const pollId = await world.poll({ authorId: actor, groupId, closedAt: new Date() });
      const outcomeId = await world.outcome(pollId, actor);
      const eventId = await world.activity(
        'outcome_created',
        { type: 'Outcome', id: outcomeId },
        { userId: actor },
      );
      await db.transaction((manager) =>
        notifyOutcomeCreated(manager, { eventId, actorId: actor, outcomeId, pollId }),
      );
      expect([...(await world.notifications(eventId)).keys()]).toEqual([member]);
      expect(await world.queuedMails({ kind: 'outcome_created' })).toEqual([
        expect.objectContaining({ recipientId: member, recordType: 'Outcome', recordId: outcomeId }),
      ]);
    });

    it.each([
      [null, true, true],
      [3, true, true],
      [1, false, false],
      [0, false, false],
    ])(
      'poll closed: the author with volume %p is notified in-app %p, by e-mail %p',
      async (volume, inApp, email) => {
        const author = await world.user();
        const groupId = await world.group();
        await world.member(groupId, author, { volume });
        const pollId = await world.poll({ authorId: author, groupId, closedAt: new Date() });
        // An older activity of the same poll must not be the one used.
        await world.activity('poll_expired', { type: 'Poll', id: pollId }, { userId: author });
        const eventId = await world.activity(
          'poll_expired',
          { type: 'Poll', id: pollId },
          { userId: author },
        );
        const outcome = await db.transaction((manager) =>
          notifyPollClosed(manager, { pollId, reason: 'expired', closedAt: new Date().toISOString() }),
        );
        expect(outcome).toMatchObject({ notified: true, activity: { id: eventId } });
        expect((await world.notifications(eventId)).has(author)).toBe(inApp);
        expect(recipientsOf(await world.queuedMails({ kind: 'poll_closed', recordId: pollId }))).toEqual(
          email ? [author] : [],
        );
      },
    );

    it('poll closed: the author of a poll outside any group or thread is told too', async () => {
      const author = await world.user();
      const pollId = await world.poll({ authorId: author, closedAt: new Date() });
      const eventId = await world.activity('poll_expired', { type: 'Poll', id: pollId }, { userId: author });
      await db.transaction((manager) =>
        notifyPollClosed(manager, { pollId, reason: 'expired', closedAt: new Date().toISOString(), eventId }),
      );
      expect([...(await world.notifications(eventId)).keys()]).toEqual([author]);
      expect(recipientsOf(await world.queuedMails({ kind: 'poll_closed', recordId: pollId }))).toEqual([
        author,
      ]);
    });

    it('poll closed by hand: whoever closed it is the actor and hears nothing', async () => {
      const author = await world.user();
      const groupId = await world.groupOf(author);
      const pollId = await world.poll({ authorId: author, groupId, closedAt: new Date() });
      const eventId = await world.activity(
        'poll_closed_by_user',
        { type: 'Poll', id: pollId },
        { userId: author },
      );
      await db.transaction((manager) =>
        notifyPollClosed(manager, { pollId, reason: 'manual', closedAt: new Date().toISOString(), eventId }),
      );
      expect((await world.notifications(eventId)).size).toBe(0);
    });

    it('closing soon: each channel gets exactly the recipients the poller chose, minus deactivated users', async () => {
      const author = await world.user();
      const both = await world.user();
      const inAppOnly = await world.user();
      const deactivated = await world.user({ deactivated: true });
      const groupId = await world.groupOf(author, both, inAppOnly);
      const pollId = await world.poll({ authorId: author, groupId });
      const eventId = await world.activity('poll_closing_soon', { type: 'Poll', id: pollId });
      await db.transaction((manager) =>
        notifyPollClosingSoon(manager, {
          pollId,
          closingAt: new Date().toISOString(),
          recipients: { email: [author, both, deactivated], inApp: [both, inAppOnly, deactivated] },
        }),
      );
      expect(sorted([...(await world.notifications(eventId)).keys()])).toEqual(sorted([both, inAppOnly]));
      expect(recipientsOf(await world.queuedMails({ kind: 'poll_closing_soon' }))).toEqual(
        sorted([author, both]),
      );
    });
  });

  describe('mentions', () => {
    it('tells mentioned people who can see the record; e-mail only with email_when_mentioned and normal volume', async () => {
      const actor = await world.user();
      const mentioned = await world.user();
      const noMentionMails = await world.user({ emailWhenMentioned: false });
      const muted = await world.user();
      const outsider = await world.user();
      const groupId = await world.groupOf(actor, mentioned, noMentionMails);
      await world.member(groupId, muted, { volume: 0 });
      const discussionId = await world.discussion(groupId, actor);
      const commentId = await world.comment(discussionId, actor);
      const eventId = await world.activity(
        'user_mentioned',
        { type: 'Comment', id: commentId },
        { userId: actor },
      );
      await db.transaction((manager) =>
        notifyUserMentioned(manager, {
          eventId,
          actorId: actor,
          recordType: 'Comment',
          recordId: commentId,
          mentionedUserIds: [actor, mentioned, noMentionMails, muted, outsider],
        }),
      );
      expect(sorted([...(await world.notifications(eventId)).keys()])).toEqual(
        sorted([mentioned, noMentionMails]),
      );
      expect(await world.queuedMails({ kind: 'user_mentioned' })).toEqual([
        expect.objectContaining({ recipientId: mentioned, recordType: 'Event', recordId: eventId }),
      ]);
    });
  });

  describe('memberships', () => {
    it('invited: every pending invitee (unverified too) with their own membership; not accepted, revoked or the actor', async () => {
      const admin = await world.user();
      const unverified = await world.user({ verified: false });
      const verified = await world.user();
      const alreadyIn = await world.user();
      const deactivated = await world.user({ deactivated: true });
      const groupId = await world.groupOf(admin);
      const m1 = await world.member(groupId, unverified, { pending: true, inviterId: admin });
      const m2 = await world.member(groupId, verified, { pending: true, inviterId: admin });
      const m3 = await world.member(groupId, alreadyIn, { inviterId: admin });
      const m4 = await world.member(groupId, deactivated, { pending: true, inviterId: admin });
      const otherGroup = await world.group();
      const foreign = await world.member(otherGroup, await world.user(), { pending: true });
      const eventId = await world.activity(
        'membership_created',
        { type: 'Group', id: groupId },
        { userId: admin },
      );
      await db.transaction((manager) =>
        notifyMembershipInvited(manager, {
          eventId,
          actorId: admin,
          groupId,
          membershipIds: [m1, m2, m3, m4, foreign],
        }),
      );
      const mails = await world.queuedMails({ kind: 'membership_invitation' });
      expect(mails.map((mail) => [mail.recipientId, mail.recordId])).toEqual([
        [unverified, m1],
        [verified, m2],
      ]);
      expect(sorted([...(await world.notifications(eventId)).keys()])).toEqual(
        sorted([unverified, verified]),
      );
    });

    it('accepted: the inviter, by their volume in the group, never the new member', async () => {
      const inviter = await world.user();
      const quietInviter = await world.user();
      const joiner = await world.user();
      const groupId = await world.group();
      await world.member(groupId, inviter);
      await world.member(groupId, quietInviter, { volume: 1 });
      const membershipId = await world.member(groupId, joiner, { inviterId: inviter });
      const eventId = await world.activity('invitation_accepted', { type: 'Membership', id: membershipId });
      await db.transaction((manager) =>
        notifyMembershipAccepted(manager, { eventId, actorId: joiner, membershipId, groupId }),
      );
      expect([...(await world.notifications(eventId)).keys()]).toEqual([inviter]);
      expect(recipientsOf(await world.queuedMails({ kind: 'invitation_accepted' }))).toEqual([inviter]);

      const second = await world.member(groupId, await world.user(), { inviterId: quietInviter });
      const quietEvent = await world.activity('invitation_accepted', { type: 'Membership', id: second });
      await db.transaction((manager) =>
        notifyMembershipAccepted(manager, {
          eventId: quietEvent,
          actorId: joiner,
          membershipId: second,
          groupId,
        }),
      );
      expect([...(await world.notifications(quietEvent)).keys()]).toEqual([quietInviter]);
      expect(
        recipientsOf(await world.queuedMails({ kind: 'invitation_accepted', recordId: second })),
      ).toEqual([]);
    });
  });

  describe('the activity frame (inbox, chatbots)', () => {
    it('writes notifications, mails and chatbot posts once however often the activity arrives', async () => {
      const notifier = new ActivityNotifier(
        new Inbox(db),
        new ChatbotFanout(new Outbox(Contracts, 'urn:test')),
        pino({ level: 'silent' }),
      );
      const actor = await world.user();
      const member = await world.user();
      const groupId = await world.groupOf(actor, member);
      const subscribed = await world.insert('chatbots', {
        group_id: groupId,
        name: 'Team chat',
        kind: 'slack',
        url: 'https://hooks.example.test/a',
        event_kinds: ['new_discussion'],
      });
      const named = await world.insert('chatbots', {
        group_id: groupId,
        name: 'Other',
        kind: 'json',
        url: 'https://hooks.example.test/b',
        event_kinds: [],
      });
      await world.insert('chatbots', {
        group_id: groupId,
        name: 'Unrelated',
        kind: 'json',
        url: 'https://hooks.example.test/c',
        event_kinds: ['poll_created'],
      });
      const discussionId = await world.discussion(groupId, actor);
      const eventId = await world.activity(
        'new_discussion',
        { type: 'Discussion', id: discussionId },
        { userId: actor },
      );
      const event = { eventId, actorId: actor, discussionId, groupId, recipientChatbotIds: [named] };
      // Two deliveries of one message and a second publish of the same activity under another message id.
      for (const jobId of ['m-1', 'm-1', 'm-2']) {
        const ctx = {
          consumer: 'notifier-discussion-created',
          subject: 'events.discussion.created',
          jobId,
        } as JobContext;
        await notifier.notify(ctx, `activity:${eventId}`, event.recipientChatbotIds, (manager) =>
          notifyDiscussionCreated(manager, event),
        );
      }
      expect([...(await world.notifications(eventId)).entries()]).toEqual([[member, ['new_discussion']]]);
      expect(
        recipientsOf(await world.queuedMails({ kind: 'new_discussion', recordId: discussionId })),
      ).toEqual([member]);
      const posts = (await db.query(
        `SELECT payload FROM outbox_messages WHERE subject = 'jobs.notifier.post-to-chatbot' ORDER BY (payload->>'chatbotId')::bigint`,
      )) as { payload: { chatbotId: number; eventId: number } }[];
      expect(posts.map((row) => row.payload)).toEqual(
        [subscribed, named]
          .sort((a, b) => a - b)
          .map((chatbotId) => expect.objectContaining({ chatbotId, eventId })),
      );
    });
  });

  describe('large groups', () => {
    it('fans out to 3,000 members in pages, each member once', async () => {
      const actor = await world.user();
      const groupId = await world.groupOf(actor);
      await db.query(
        `WITH people AS (
           INSERT INTO users (name, email, email_verified)
           SELECT 'Bulk ' || n, 'bulk' || n || '-' || $2 || '@example.test', true FROM generate_series(1, 3000) n
           RETURNING id)
         INSERT INTO memberships (group_id, user_id, accepted_at) SELECT $1, id, now() FROM people`,
        [groupId, process.pid],
      );
      const discussionId = await world.discussion(groupId, actor);
      const eventId = await world.activity('new_discussion', { type: 'Discussion', id: discussionId });
      const report = await db.transaction((manager) =>
        fanOut(
          manager,
          {
            eventId,
            actorId: actor,
            kind: 'new_discussion',
            url: '/d/x',
            translationValues: {},
            mail: { kind: 'new_discussion', recordType: 'Discussion', recordId: discussionId },
          },
          everyoneInScope({ groupId, discussionId, pollId: null }),
          700,
        ),
      );
      expect(report).toEqual({ inApp: 3000, email: 3000 });
      const [counts] = (await db.query(
        `SELECT count(*)::int AS total, count(DISTINCT user_id)::int AS people FROM notifications WHERE event_id = $1`,
        [eventId],
      )) as { total: number; people: number }[];
      expect(counts).toEqual({ total: 3000, people: 3000 });
      expect(
        new Set((await world.queuedMails({ kind: 'new_discussion' })).map((m) => m.recipientId)).size,
      ).toBe(3000);
    });
  });
});
