/*
 * Loomio's background workers (Sidekiq, app/workers) and scheduled tasks (lib/tasks/loomio.rake, run by
 * cron), each with what replaces it here: the subjects that do its work, or why it was not rebuilt.
 * docs/WORKERS.md is generated from this list and libs/contracts (`npm run docs:workers`); a test fails
 * when a contract has no row, or a row names a subject that does not exist.
 */

export interface ReplacedWorker {
  original: string;
  /** A Sidekiq worker, or a task the original ran from cron. */
  kind: 'worker' | 'scheduled task';
  subjects: string[];
  /** What changed on the way, when something did. */
  note?: string;
}

export interface RetiredWorker {
  original: string;
  kind: 'worker' | 'scheduled task';
  reason: string;
}

export const ReplacedWorkers: ReplacedWorker[] = [
  // Polls
  { original: 'CloseExpiredPollWorker', kind: 'worker', subjects: ['jobs.poller.close-expired-polls'] },
  {
    original: 'loomio:close_expired_polls',
    kind: 'scheduled task',
    subjects: ['jobs.poller.close-expired-polls'],
    note: 'each poll in its own transaction; anonymous stances unlinked; hidden votes published',
  },
  {
    original: 'PublishClosingSoonWorker',
    kind: 'worker',
    subjects: ['jobs.poller.announce-closing-soon', 'events.poll.closing-soon'],
    note: 'once per closing time (closing_soon_notified_for), so a moved date re-arms it',
  },
  {
    original: 'ProcessStanceWorker',
    kind: 'worker',
    subjects: ['events.stance.created', 'events.stance.revoked', 'events.stance.restored'],
    note: 'poll counts recomputed from the stances, so a duplicate event changes nothing',
  },
  {
    original: 'ResetPollStanceDataWorker',
    kind: 'worker',
    subjects: ['jobs.poller.recompute-stance-scores'],
  },
  {
    original: 'VoteReminderWorker',
    kind: 'worker',
    subjects: ['events.poll.reminder-requested', 'events.poll.reminded'],
    note: 'once per request (inbox); the requester is not reminded',
  },
  // Notifications and e-mail
  {
    original: 'PublishEventWorker',
    kind: 'worker',
    subjects: [
      'events.discussion.created',
      'events.comment.created',
      'events.poll.created',
      'events.outcome.created',
      'events.poll.closed',
      'events.user.mentioned',
      'events.membership.invited',
      'events.membership.accepted',
    ],
    note: 'one durable consumer per domain event instead of one worker dispatching on the event kind',
  },
  {
    original: 'EmitEventWorker',
    kind: 'worker',
    subjects: ['events.discussion.updated', 'events.comment.updated', 'events.poll.updated'],
    note: 'the web app publishes domain events to NATS directly',
  },
  {
    original: 'AnnounceDiscussionWorker',
    kind: 'worker',
    subjects: ['events.discussion.created', 'events.membership.invited'],
  },
  { original: 'AnnouncementCreatedWorker', kind: 'worker', subjects: ['events.membership.invited'] },
  {
    original: 'DeliverAnnouncementWorker',
    kind: 'worker',
    subjects: ['jobs.notifier.deliver-email', 'events.announcement.delivered'],
    note: 'one deliver-email job per recipient, in a batch: one event once every mail is sent or dead',
  },
  { original: 'PollOutcomeCreatedWorker', kind: 'worker', subjects: ['events.outcome.created'] },
  {
    original: 'CalendarInviteWorker',
    kind: 'worker',
    subjects: ['jobs.notifier.deliver-email'],
    note: 'the outcome e-mail of a meeting poll carries meeting.ics',
  },
  {
    original: 'ActionMailer::MailDeliveryJob (mailers queue)',
    kind: 'worker',
    subjects: ['jobs.notifier.deliver-email'],
    note: 'mail_deliveries.dedupe_key: never sent twice; 5xx bounces recorded, not retried',
  },
  {
    original: 'SendDailyCatchUpEmailWorker',
    kind: 'worker',
    subjects: ['jobs.notifier.send-catch-up-digests'],
    note: "06:00 in each user's zone (NULL = UTC), last_catch_up_at, every catch-up setting",
  },
  {
    original: 'loomio:send_catch_up_emails',
    kind: 'scheduled task',
    subjects: ['jobs.notifier.send-catch-up-digests'],
  },
  {
    original: 'SendTaskRemindersWorker',
    kind: 'worker',
    subjects: ['jobs.notifier.send-task-reminders'],
    note: 'remind_at <= now, so a missed run or a :30 zone still fires; deactivated assignees skipped',
  },
  {
    original: 'PublishReviewDueWorker',
    kind: 'worker',
    subjects: ['jobs.notifier.announce-outcome-reviews'],
    note: 'once per review date (review_notified_for); a missed day still fires',
  },
  {
    original: 'NotifyWebhooksWorker',
    kind: 'worker',
    subjects: ['jobs.notifier.post-to-chatbot'],
    note: 'one job per chatbot, so a retry re-posts to the failing one only; URL guard; rate limits',
  },
  {
    original: 'DeliverNotificationChatbotWorker',
    kind: 'worker',
    subjects: ['jobs.notifier.post-to-chatbot'],
  },
  {
    original: 'RouteReceivedEmailsWorker',
    kind: 'worker',
    subjects: ['jobs.notifier.route-received-emails'],
  },
  // Exports, imports, attachments
  {
    original: 'GroupExportWorker',
    kind: 'worker',
    subjects: ['events.group.export-requested', 'events.export.ready'],
    note: 'JSONL streamed to the Object Store in constant memory; no secret columns',
  },
  {
    original: 'GroupExportCsvWorker',
    kind: 'worker',
    subjects: ['events.group.export-requested'],
    note: 'format: csv; formula-injection escaping',
  },
  {
    original: 'ImportGroupWorker',
    kind: 'worker',
    subjects: ['jobs.exporter.import-members-csv', 'events.import.finished'],
  },
  { original: 'DownloadAttachmentWorker', kind: 'worker', subjects: ['jobs.exporter.download-attachment'] },
  {
    original: 'loomio:delete_expired_exports',
    kind: 'scheduled task',
    subjects: ['jobs.exporter.delete-expired-exports'],
  },
  // Accounts, destroy, GDPR, cleanup
  { original: 'DeactivateUserWorker', kind: 'worker', subjects: ['jobs.janitor.deactivate-user'] },
  {
    original: 'AcceptMembershipWorker',
    kind: 'worker',
    subjects: ['jobs.janitor.accept-membership'],
    note: 'a membership no longer pending is a no-op',
  },
  { original: 'AppendTranscriptWorker', kind: 'worker', subjects: ['jobs.janitor.append-transcript'] },
  {
    original: 'ReactivateUserWorker',
    kind: 'worker',
    subjects: ['jobs.janitor.reactivate-user'],
    note: 'restores readers and stances too, exactly those revoked at deactivated_at',
  },
  {
    original: 'RedactUserWorker',
    kind: 'worker',
    subjects: ['jobs.janitor.redact-user', 'jobs.janitor.erase-user', 'events.user.redacted'],
  },
  {
    original: 'DestroyGroupWorker',
    kind: 'worker',
    subjects: ['jobs.janitor.destroy-group', 'jobs.janitor.purge-group'],
    note: 'archive now, hard delete 14 days later in resumable batches',
  },
  { original: 'DestroyDiscussionWorker', kind: 'worker', subjects: ['jobs.janitor.destroy-discussion'] },
  { original: 'DestroyTagWorker', kind: 'worker', subjects: ['jobs.janitor.destroy-tag'] },
  {
    original: 'CleanupInactiveUsersWorker',
    kind: 'worker',
    subjects: ['jobs.janitor.cleanup-inactive'],
  },
  { original: 'DestroyRecordWorker', kind: 'worker', subjects: ['jobs.janitor.destroy-record'] },
  { original: 'UpdateTagWorker', kind: 'worker', subjects: ['jobs.janitor.update-tag'] },
  {
    original: 'RevokeMembershipsOfDeactivatedUsersWorker',
    kind: 'worker',
    subjects: ['jobs.janitor.revoke-memberships'],
  },
  { original: 'MoveCommentsWorker', kind: 'worker', subjects: ['jobs.janitor.move-comments'] },
  { original: 'RepairThreadWorker', kind: 'worker', subjects: ['jobs.janitor.repair-thread'] },
  {
    original: 'SearchIndexWorker',
    kind: 'worker',
    subjects: [
      'jobs.janitor.reindex-search',
      'events.discussion.discarded',
      'events.comment.discarded',
      'events.poll.discarded',
    ],
  },
  {
    original: 'CleanupOrphanRecordsWorker',
    kind: 'worker',
    subjects: ['jobs.janitor.delete-orphan-records'],
  },
  {
    original: 'DeleteOldReceivedEmailsWorker',
    kind: 'worker',
    subjects: ['jobs.janitor.delete-old-received-emails'],
  },
  {
    original: 'loomio:delete_expired_login_tokens',
    kind: 'scheduled task',
    subjects: ['jobs.janitor.delete-expired-login-tokens'],
  },
  {
    original: 'loomio:update_blocked_domains',
    kind: 'scheduled task',
    subjects: ['jobs.janitor.update-blocked-domains'],
  },
  {
    original: 'loomio:discard_old_chatbots',
    kind: 'scheduled task',
    subjects: ['jobs.janitor.discard-old-chatbots'],
  },
  {
    original: 'DestroyUserWorker',
    kind: 'worker',
    subjects: ['jobs.janitor.destroy-user'],
    note: 'deactivated accounts only; authored content re-pointed at a shared "Deleted user" tombstone, votes kept without a participant',
  },
  {
    original: 'loomio:group_statistics',
    kind: 'scheduled task',
    subjects: ['jobs.exporter.group-statistics'],
    note: "weekly (Monday 00:00 UTC); counted as of the week's end, one row per (group, week)",
  },
  {
    original: 'loomio:check_subscriptions',
    kind: 'scheduled task',
    subjects: ['jobs.janitor.check-subscriptions'],
    note: 'monthly (day 1 00:00 UTC); marked and mailed in one transaction (outbox), so each admin is mailed once per expiry',
  },
  {
    original: 'AddHeadingIdsWorker',
    kind: 'worker',
    subjects: ['jobs.janitor.add-heading-ids'],
    note: 'parse5 instead of regexes; a cursor per field (heading_id_progress) committed with each batch, so a killed run resumes',
  },
  {
    original: 'GeoLocationWorker',
    kind: 'worker',
    subjects: ['jobs.janitor.geo-locate-users'],
    note: 'a local MaxMind DB file (GEOIP_DATABASE_PATH) read with the maxmind package instead of an online lookup',
  },
  {
    original: 'UndeleteBlobWorker',
    kind: 'worker',
    subjects: ['jobs.janitor.undelete-attachment'],
    note: 'restores by key from trash/<key> in the attachments bucket; unknown or purged keys are dead-lettered with the reason',
  },
];

export const RetiredWorkers: RetiredWorker[] = [
  {
    original: 'GenericWorker',
    kind: 'worker',
    reason:
      'it called any class method named in its arguments; a typed job registry replaces it, and nothing is invoked by a name taken from a message',
  },
  {
    original: 'loomio:cleanup_cache',
    kind: 'scheduled task',
    reason: 'no Rails cache here: KV buckets expire entries by TTL',
  },
  {
    original: 'Migrate*Worker, Convert*Worker, Fix*Worker, Remove*Worker, AddGroupIdTo*Worker',
    kind: 'worker',
    reason: 'one-off data migrations: TypeORM migrations do that work (npm run db:migrate)',
  },
];

/** Subjects that exist here without an original counterpart, and why. */
export const NewSubjects: Record<string, string> = {
  'jobs.janitor.destroy-comment':
    'the original deleted a comment inside the web request; the shared batch delete takes its replies and items too',
  'jobs.janitor.prune-processed-messages': 'the inbox (processed_messages) is ours: its marks expire',
  'events.user.deactivated': 'announces a deactivation to any system that cares (no consumer of ours)',
  'events.user.reactivated': 'announces a reactivation to any system that cares (no consumer of ours)',
  'jobs.janitor.sweep-attachment-trash':
    'the 30-day trash undelete-attachment restores from: deleted files move to trash/<key>, and are purged after 30 days',
};

export interface PendingWorker {
  original: string;
  kind: 'worker' | 'scheduled task';
  plan: string;
}

/** Workers whose replacement is specified (SPEC.md, "the rest of the inventory") but not built yet. */
export const PendingWorkers: PendingWorker[] = [];
