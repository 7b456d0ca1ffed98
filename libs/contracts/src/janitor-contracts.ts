import { z } from 'zod';
import { defineEvent, defineJob } from './contract';
import type { CronEntry } from './cron';
import { Id, IsoTimestamp } from './ids';

/* The janitor: destroy, deactivate/reactivate, GDPR redaction, cleanup, the search index. */

export const PruneProcessedMessages = defineJob({
  subject: 'jobs.janitor.prune-processed-messages',
  description: 'Delete inbox marks (processed_messages) older than their retention.',
  schema: z.object({ olderThanDays: z.number().int().min(1).max(3650).default(7) }),
  options: { priority: 'low', maxAttempts: 5, timeoutMs: 15 * 60_000 },
});

export const DeactivateUser = defineJob({
  subject: 'jobs.janitor.deactivate-user',
  description:
    'Deactivate an account: revoke its memberships, discussion readers and stances in open polls, drop its pending membership requests.',
  schema: z.object({ userId: Id, actorId: Id.optional() }),
  options: { priority: 'high', maxAttempts: 10, timeoutMs: 10 * 60_000 },
});

export const ReactivateUser = defineJob({
  subject: 'jobs.janitor.reactivate-user',
  description: 'Reactivate an account: restore exactly the rows its deactivation revoked.',
  schema: z.object({ userId: Id, actorId: Id.optional() }),
  options: { priority: 'high', maxAttempts: 10, timeoutMs: 10 * 60_000 },
});

export const DestroyGroup = defineJob({
  subject: 'jobs.janitor.destroy-group',
  description:
    'Archive a group and its subgroups now, warn its admins by e-mail and schedule the hard delete (purge-group) 14 days later.',
  schema: z.object({ groupId: Id, actorId: Id.optional() }),
  options: { priority: 'low', maxAttempts: 10, timeoutMs: 5 * 60_000 },
});

export const PurgeGroup = defineJob({
  subject: 'jobs.janitor.purge-group',
  description:
    'The delayed half of destroy-group: unless the group was un-archived since `archivedAt`, delete it, its subgroups and every dependent row in committed batches (resumes after a crash).',
  schema: z.object({ groupId: Id, archivedAt: IsoTimestamp }),
  options: { priority: 'low', maxAttempts: 25, timeoutMs: 60 * 60_000, concurrency: 2 },
});

export const DestroyDiscussion = defineJob({
  subject: 'jobs.janitor.destroy-discussion',
  description: 'Delete a discussion and every dependent row in committed batches (resumes after a crash).',
  schema: z.object({ discussionId: Id, actorId: Id.optional() }),
  options: { priority: 'low', maxAttempts: 25, timeoutMs: 30 * 60_000 },
});

export const DestroyComment = defineJob({
  subject: 'jobs.janitor.destroy-comment',
  description: 'Delete a comment, its replies and every dependent row in committed batches.',
  schema: z.object({ commentId: Id, actorId: Id.optional() }),
  options: { priority: 'low', maxAttempts: 25, timeoutMs: 10 * 60_000 },
});

export const DestroyTag = defineJob({
  subject: 'jobs.janitor.destroy-tag',
  description:
    "Remove a tag's name from the discussions and polls of its group and subgroups in batches, then delete the tag.",
  schema: z.object({ tagId: Id, actorId: Id.optional() }),
  options: { priority: 'low', maxAttempts: 25, timeoutMs: 10 * 60_000 },
});

export const RedactUser = defineJob({
  subject: 'jobs.janitor.redact-user',
  description:
    'GDPR erasure, step 1: deactivate the account, mail a confirmation to its address and enqueue erase-user. A user already redacted is left alone.',
  schema: z.object({ userId: Id, actorId: Id.optional() }),
  options: { priority: 'high', maxAttempts: 10, timeoutMs: 5 * 60_000 },
});

export const EraseUser = defineJob({
  subject: 'jobs.janitor.erase-user',
  description:
    "GDPR erasure, step 2: once the confirmation mail's delivery is final (or waited for long enough), blank the account, delete its identities, requests, login tokens and audit versions, and rewrite its name where it was copied.",
  schema: z.object({ userId: Id, requestedAt: IsoTimestamp }),
  // Waiting for the mail retries every minute or so (RetryLaterError) for at most an hour by default.
  options: { priority: 'high', maxAttempts: 100, timeoutMs: 30 * 60_000 },
});

export const UserRedacted = defineEvent({
  subject: 'events.user.redacted',
  description: 'A user was erased (GDPR): no name, e-mail or profile remains.',
  schema: z.object({ userId: Id }),
});

export const ReindexSearch = defineJob({
  subject: 'jobs.janitor.reindex-search',
  description:
    'Rebuild search_documents from every discussion, comment and poll in committed batches, and drop rows whose record is gone. The domain events keep it in step between rebuilds.',
  schema: z.object({}),
  options: { priority: 'low', maxAttempts: 5, timeoutMs: 6 * 3600_000, concurrency: 1 },
});

export const DeleteExpiredLoginTokens = defineJob({
  subject: 'jobs.janitor.delete-expired-login-tokens',
  description: 'Delete login tokens older than their validity (1 hour by default), in batches.',
  schema: z.object({ olderThanMinutes: z.number().int().min(1).max(525_600).default(60) }),
  options: { priority: 'low', maxAttempts: 5, timeoutMs: 15 * 60_000, concurrency: 1 },
});

export const DeleteOldReceivedEmails = defineJob({
  subject: 'jobs.janitor.delete-old-received-emails',
  description: 'Delete received e-mails older than 60 days (by default), in batches.',
  schema: z.object({ olderThanDays: z.number().int().min(1).max(3650).default(60) }),
  options: { priority: 'low', maxAttempts: 5, timeoutMs: 30 * 60_000, concurrency: 1 },
});

export const DeleteOrphanRecords = defineJob({
  subject: 'jobs.janitor.delete-orphan-records',
  description:
    'Delete rows whose parent is gone (per the janitor dependency graph), parents first, in batches.',
  schema: z.object({}),
  options: { priority: 'low', maxAttempts: 5, timeoutMs: 2 * 3600_000, concurrency: 1 },
});

export const UpdateBlockedDomains = defineJob({
  subject: 'jobs.janitor.update-blocked-domains',
  description:
    'Make blocked_domains equal to the configured list (BLOCKED_DOMAINS_SOURCE: a file or an http(s) URL fetched through the outbound URL guard).',
  schema: z.object({}),
  options: { priority: 'low', maxAttempts: 5, timeoutMs: 10 * 60_000, concurrency: 1 },
});

export const RevokeMemberships = defineJob({
  subject: 'jobs.janitor.revoke-memberships',
  description:
    'Revoke the memberships deactivated users still hold, at their deactivated_at (so reactivation restores them), in batches.',
  schema: z.object({}),
  options: { priority: 'low', maxAttempts: 5, timeoutMs: 30 * 60_000, concurrency: 1 },
});

export const MoveComments = defineJob({
  subject: 'jobs.janitor.move-comments',
  description:
    "Move comments, with their replies, to another discussion: their items take the target's next sequence ids in order, both threads are re-laid out.",
  schema: z.object({
    sourceDiscussionId: Id,
    targetDiscussionId: Id,
    commentIds: z.array(Id).min(1).max(10_000),
    actorId: Id.optional(),
  }),
  options: { priority: 'default', maxAttempts: 10, timeoutMs: 10 * 60_000 },
});

export const RepairThread = defineJob({
  subject: 'jobs.janitor.repair-thread',
  description:
    "Give sequence ids to a discussion's events lacking one (never renumber), rebuild parents, depths (capped by max_depth), positions and counts, trim read ranges past the last sequence.",
  schema: z.object({ discussionId: Id }),
  options: { priority: 'default', maxAttempts: 10, timeoutMs: 10 * 60_000 },
});

/** The tables destroy-record accepts; anything else is refused by the schema (never a dynamic call). */
export const DestroyableRecordTables = [
  'discussions',
  'comments',
  'polls',
  'stances',
  'outcomes',
  'memberships',
  'membership_requests',
  'tasks',
  'documents',
  'attachments',
  'chatbots',
  'tags',
  'events',
  'notifications',
] as const;

export const DestroyRecord = defineJob({
  subject: 'jobs.janitor.destroy-record',
  description:
    'Delete one record of an allow-listed table and every row depending on it, in committed batches (groups: use destroy-group).',
  schema: z.object({ table: z.enum(DestroyableRecordTables), id: Id, actorId: Id.optional() }),
  options: { priority: 'low', maxAttempts: 25, timeoutMs: 30 * 60_000 },
});

export const DiscardOldChatbots = defineJob({
  subject: 'jobs.janitor.discard-old-chatbots',
  description: 'Discard chatbots disabled for more than 90 days (by default).',
  schema: z.object({ disabledForDays: z.number().int().min(1).max(3650).default(90) }),
  options: { priority: 'low', maxAttempts: 5, timeoutMs: 10 * 60_000, concurrency: 1 },
});

const TagName = z.string().trim().min(1).max(255);

export const UpdateTag = defineJob({
  subject: 'jobs.janitor.update-tag',
  description:
    "Rename a tag across a group and its subgroups (merging into an existing tag of the new name) in discussions' and polls' tag arrays without duplicates, recolour it, recount it.",
  schema: z.object({
    groupId: Id,
    oldName: TagName,
    newName: TagName,
    color: z.string().max(32).nullable().optional(),
  }),
  options: { priority: 'default', maxAttempts: 10, timeoutMs: 30 * 60_000 },
});

export const CleanupInactive = defineJob({
  subject: 'jobs.janitor.cleanup-inactive',
  description:
    'Delete unverified users who never signed in, created more than 6 months ago (by default) and left no other trace, with their pending invitations.',
  schema: z.object({ olderThanDays: z.number().int().min(30).max(3650).default(183) }),
  options: { priority: 'low', maxAttempts: 5, timeoutMs: 60 * 60_000, concurrency: 1 },
});

export const AcceptMembership = defineJob({
  subject: 'jobs.janitor.accept-membership',
  description:
    'Redeem a pending membership (invitation) for a user without notifying anyone; a membership no longer pending is left alone.',
  schema: z.object({ membershipId: Id, userId: Id }),
  options: { priority: 'high', maxAttempts: 10, timeoutMs: 60_000 },
});

export const AppendTranscript = defineJob({
  subject: 'jobs.janitor.append-transcript',
  description:
    'Append the transcript of an attachment as an escaped paragraph to the rich text of the record it belongs to, once per job.',
  schema: z.object({ attachmentId: Id, text: z.string().min(1).max(200_000) }),
  options: { priority: 'default', maxAttempts: 10, timeoutMs: 60_000 },
});

export const DestroyUser = defineJob({
  subject: 'jobs.janitor.destroy-user',
  description:
    'Hard delete of a deactivated account: its memberships, readers, notifications, task assignments, identities, login tokens, membership requests and versions go; what it wrote stays, re-pointed at the shared "Deleted user" tombstone; its votes stay without a participant. An active account is refused.',
  schema: z.object({ userId: Id, actorId: Id.optional() }),
  options: { priority: 'low', maxAttempts: 25, timeoutMs: 60 * 60_000 },
});

export const CheckSubscriptions = defineJob({
  subject: 'jobs.janitor.check-subscriptions',
  description:
    'Mark groups whose paid subscription ended (subscription_expires_at passed) as expired (subscription_expired_at) and e-mail each of their admins once (subscription_expired).',
  schema: z.object({}).strict(),
  options: { priority: 'low', maxAttempts: 5, timeoutMs: 30 * 60_000, concurrency: 1 },
});

export const AddHeadingIds = defineJob({
  subject: 'jobs.janitor.add-heading-ids',
  description:
    'Give every h1–h6 without an id in the HTML rich-text fields (discussion description, comment body, poll details, outcome statement, stance reason, group description) a stable id from its text, parsed with an HTML parser, in resumable batches (heading_id_progress).',
  schema: z.object({}).strict(),
  options: { priority: 'low', maxAttempts: 10, timeoutMs: 6 * 3600_000, concurrency: 1 },
});

export const GeoLocateUsers = defineJob({
  subject: 'jobs.janitor.geo-locate-users',
  description:
    'Set the country of users without one from their last sign-in address, looked up in the local IP-to-country database file GEOIP_DATABASE_PATH (MaxMind DB format); nothing is downloaded.',
  schema: z.object({}).strict(),
  options: { priority: 'low', maxAttempts: 5, timeoutMs: 60 * 60_000, concurrency: 1 },
});

export const UndeleteAttachment = defineJob({
  subject: 'jobs.janitor.undelete-attachment',
  description:
    "Restore a deleted attachment by its key: its file comes back from the attachments bucket's trash (trash/<key>) and its deleted_at is cleared. Fails (dead letter) when the key is unknown or the attachment was purged after its 30 days in the trash.",
  schema: z.object({ key: z.string().trim().min(1).max(255), actorId: Id.optional() }).strict(),
  options: { priority: 'default', maxAttempts: 10, timeoutMs: 10 * 60_000 },
});

export const SweepAttachmentTrash = defineJob({
  subject: 'jobs.janitor.sweep-attachment-trash',
  description:
    'Move the files of attachments deleted (deleted_at) since the last sweep to the trash (trash/<key>), and purge file and row of those deleted more than 30 days ago.',
  schema: z.object({}).strict(),
  options: { priority: 'low', maxAttempts: 5, timeoutMs: 2 * 3600_000, concurrency: 1 },
});

/** Every job the janitor runs and every event it publishes (events published by the app live in events.ts). */
export const JanitorContracts = [
  PruneProcessedMessages,
  DeactivateUser,
  ReactivateUser,
  DestroyGroup,
  PurgeGroup,
  DestroyDiscussion,
  DestroyComment,
  DestroyTag,
  RedactUser,
  EraseUser,
  UserRedacted,
  ReindexSearch,
  DeleteExpiredLoginTokens,
  DeleteOldReceivedEmails,
  DeleteOrphanRecords,
  UpdateBlockedDomains,
  RevokeMemberships,
  MoveComments,
  RepairThread,
  DestroyRecord,
  DiscardOldChatbots,
  UpdateTag,
  CleanupInactive,
  AcceptMembership,
  AppendTranscript,
  DestroyUser,
  CheckSubscriptions,
  AddHeadingIds,
  GeoLocateUsers,
  UndeleteAttachment,
  SweepAttachmentTrash,
] as const;

/** The domain events the janitor consumes (one durable consumer each). */
export const JanitorSubscriptions: readonly string[] = [
  // reindex-search: the search row of each follows its record.
  'events.discussion.created',
  'events.discussion.updated',
  'events.discussion.discarded',
  'events.comment.created',
  'events.comment.updated',
  'events.comment.discarded',
  'events.poll.created',
  'events.poll.updated',
  'events.poll.discarded',
];

export const JanitorCronEntries: CronEntry[] = [
  {
    name: 'prune-processed-messages',
    schedule: '0 0 * * *',
    subject: 'jobs.janitor.prune-processed-messages',
    payload: { olderThanDays: 7 },
    description: 'daily 00:00: forget inbox marks older than 7 days',
  },
  {
    name: 'delete-expired-login-tokens',
    schedule: '0 * * * *',
    subject: 'jobs.janitor.delete-expired-login-tokens',
    payload: { olderThanMinutes: 60 },
    description: 'hourly :00: delete login tokens older than 1 hour',
  },
  {
    name: 'delete-orphan-records',
    schedule: '0 0 * * *',
    subject: 'jobs.janitor.delete-orphan-records',
    payload: {},
    description: 'daily 00:00: delete rows whose parent is gone',
  },
  {
    name: 'delete-old-received-emails',
    schedule: '0 0 * * *',
    subject: 'jobs.janitor.delete-old-received-emails',
    payload: { olderThanDays: 60 },
    description: 'daily 00:00: delete received e-mails older than 60 days',
  },
  {
    name: 'update-blocked-domains',
    schedule: '0 0 1 * *',
    subject: 'jobs.janitor.update-blocked-domains',
    payload: {},
    description: 'monthly, day 1 00:00: refresh blocked_domains from the configured list',
  },
  {
    name: 'discard-old-chatbots',
    schedule: '0 0 1 * *',
    subject: 'jobs.janitor.discard-old-chatbots',
    payload: { disabledForDays: 90 },
    description: 'monthly, day 1 00:00: discard chatbots disabled for more than 90 days',
  },
  {
    name: 'cleanup-inactive',
    schedule: '0 0 1 * *',
    subject: 'jobs.janitor.cleanup-inactive',
    payload: { olderThanDays: 183 },
    description: 'monthly, day 1 00:00: delete never-used unverified accounts older than 6 months',
  },
  {
    name: 'check-subscriptions',
    schedule: '0 0 1 * *',
    subject: 'jobs.janitor.check-subscriptions',
    payload: {},
    description: 'monthly, day 1 00:00: mark ended paid subscriptions expired and e-mail the admins once',
  },
  {
    name: 'sweep-attachment-trash',
    schedule: '30 0 * * *',
    subject: 'jobs.janitor.sweep-attachment-trash',
    payload: {},
    description:
      'daily 00:30: move deleted attachments to the trash, purge those deleted more than 30 days ago',
  },
];
