import { Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Outbox } from '@lib/db';
import { LOGGER, NATS_CONNECTION, ObjectBuckets, ObjectFiles, SERVICE_CONFIG } from '@lib/jetstream';
import { AccountStatus } from './accounts/account-status';
import { AcceptMembershipHandler } from './accounts/accept-membership.handler';
import { CleanupInactiveHandler } from './accounts/cleanup-inactive.handler';
import { DeactivateUserHandler } from './accounts/deactivate-user.handler';
import { DestroyUserHandler } from './accounts/destroy-user.handler';
import { InactiveAccounts } from './accounts/inactive-accounts';
import { MembershipRedemption } from './accounts/membership-redemption';
import { ReactivateUserHandler } from './accounts/reactivate-user.handler';
import { RevokeMemberships } from './accounts/revoke-memberships';
import { RevokeMembershipsHandler } from './accounts/revoke-memberships.handler';
import { UserDestruction } from './accounts/user-destruction';
import { AttachmentTrash } from './attachments/attachment-trash';
import { SweepAttachmentTrashHandler } from './attachments/sweep-attachment-trash.handler';
import { UndeleteAttachmentHandler } from './attachments/undelete-attachment.handler';
import { GeoLocateUsersHandler } from './geo/geo-locate-users.handler';
import { UserGeolocation } from './geo/user-geolocation';
import { AddHeadingIdsHandler } from './headings/add-heading-ids.handler';
import { HeadingIdBackfill } from './headings/heading-id-backfill';
import { CheckSubscriptionsHandler } from './subscriptions/check-subscriptions.handler';
import { SubscriptionExpiry } from './subscriptions/subscription-expiry';
import { BlockedDomains } from './cleanup/blocked-domains';
import { DeleteExpiredLoginTokensHandler } from './cleanup/delete-expired-login-tokens.handler';
import { DeleteOldReceivedEmailsHandler } from './cleanup/delete-old-received-emails.handler';
import { DeleteOrphanRecordsHandler } from './cleanup/delete-orphan-records.handler';
import { DiscardOldChatbotsHandler } from './cleanup/discard-old-chatbots.handler';
import { ExpirySweeps } from './cleanup/expiry-sweeps';
import { OrphanSweep } from './cleanup/orphan-sweep';
import { PruneProcessedMessagesHandler } from './cleanup/prune-processed-messages.handler';
import { UpdateBlockedDomainsHandler } from './cleanup/update-blocked-domains.handler';
import type { JanitorConfig } from './config';
import { BatchDeleter } from './destroy/batch-delete';
import { DestroyCommentHandler } from './destroy/destroy-comment.handler';
import { DestroyDiscussionHandler } from './destroy/destroy-discussion.handler';
import { DestroyGroupHandler } from './destroy/destroy-group.handler';
import { DestroyRecordHandler } from './destroy/destroy-record.handler';
import { DestroyTagHandler } from './destroy/destroy-tag.handler';
import { GroupDestruction } from './destroy/group-destruction';
import { PurgeGroupHandler } from './destroy/purge-group.handler';
import { RecordDestruction } from './destroy/record-destruction';
import { TagRename } from './destroy/tag-rename';
import { UpdateTagHandler } from './destroy/update-tag.handler';
import { EraseUserHandler } from './redaction/erase-user.handler';
import { RedactUserHandler } from './redaction/redact-user.handler';
import { UserRedaction } from './redaction/user-redaction';
import { IndexCommentHandler } from './search/index-comment.handler';
import { IndexDiscussionHandler } from './search/index-discussion.handler';
import { IndexPollHandler } from './search/index-poll.handler';
import { ReindexSearchHandler } from './search/reindex-search.handler';
import { SearchIndex } from './search/search-index';
import { AppendTranscriptHandler } from './threads/append-transcript.handler';
import { MoveComments } from './threads/move-comments';
import { MoveCommentsHandler } from './threads/move-comments.handler';
import { RepairThreadHandler } from './threads/repair-thread.handler';
import { ThreadRepair } from './threads/thread-repair';
import { TranscriptAppend } from './threads/transcript-append';

/** Janitor: destroy, deactivate, GDPR redaction, cleanup and the search index. */
/** The NATS connection the service already holds (only libs/jetstream names NATS types). */
type NatsConnectionOf = Parameters<typeof ObjectFiles.open>[0];

@Module({
  providers: [
    {
      provide: AccountStatus,
      inject: [DataSource, Outbox],
      useFactory: (dataSource: DataSource, outbox: Outbox) => new AccountStatus(dataSource, outbox),
    },
    {
      provide: BatchDeleter,
      inject: [DataSource, LOGGER, SERVICE_CONFIG],
      useFactory: (dataSource: DataSource, logger: Logger, config: JanitorConfig) =>
        new BatchDeleter(dataSource, logger, config.JANITOR_BATCH_SIZE),
    },
    {
      provide: GroupDestruction,
      inject: [DataSource, Outbox, BatchDeleter],
      useFactory: (dataSource: DataSource, outbox: Outbox, deleter: BatchDeleter) =>
        new GroupDestruction(dataSource, outbox, deleter),
    },
    {
      provide: RecordDestruction,
      inject: [DataSource, BatchDeleter, ThreadRepair, SERVICE_CONFIG],
      useFactory: (
        dataSource: DataSource,
        deleter: BatchDeleter,
        threads: ThreadRepair,
        config: JanitorConfig,
      ) => new RecordDestruction(dataSource, deleter, threads, config.JANITOR_BATCH_SIZE),
    },
    {
      provide: SearchIndex,
      inject: [DataSource, SERVICE_CONFIG],
      useFactory: (dataSource: DataSource, config: JanitorConfig) =>
        new SearchIndex(dataSource, config.JANITOR_BATCH_SIZE),
    },
    {
      provide: UserRedaction,
      inject: [DataSource, Outbox, AccountStatus, SearchIndex, SERVICE_CONFIG, LOGGER],
      useFactory: (
        dataSource: DataSource,
        outbox: Outbox,
        accounts: AccountStatus,
        search: SearchIndex,
        config: JanitorConfig,
        logger: Logger,
      ) =>
        new UserRedaction(
          dataSource,
          outbox,
          accounts,
          search,
          { maxMailWaitMs: config.REDACTION_MAIL_WAIT_MS },
          logger,
        ),
    },
    {
      provide: ExpirySweeps,
      inject: [DataSource, SERVICE_CONFIG],
      useFactory: (dataSource: DataSource, config: JanitorConfig) =>
        new ExpirySweeps(dataSource, config.JANITOR_BATCH_SIZE),
    },
    {
      provide: OrphanSweep,
      inject: [DataSource, LOGGER, SERVICE_CONFIG],
      useFactory: (dataSource: DataSource, logger: Logger, config: JanitorConfig) =>
        new OrphanSweep(dataSource, logger, config.JANITOR_BATCH_SIZE),
    },
    {
      provide: BlockedDomains,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new BlockedDomains(dataSource),
    },
    {
      provide: RevokeMemberships,
      inject: [DataSource, SERVICE_CONFIG],
      useFactory: (dataSource: DataSource, config: JanitorConfig) =>
        new RevokeMemberships(dataSource, config.JANITOR_BATCH_SIZE),
    },
    {
      provide: ThreadRepair,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new ThreadRepair(dataSource),
    },
    {
      provide: MoveComments,
      inject: [DataSource, ThreadRepair, SearchIndex],
      useFactory: (dataSource: DataSource, repair: ThreadRepair, search: SearchIndex) =>
        new MoveComments(dataSource, repair, search),
    },
    {
      provide: TagRename,
      inject: [DataSource, SERVICE_CONFIG],
      useFactory: (dataSource: DataSource, config: JanitorConfig) =>
        new TagRename(dataSource, config.JANITOR_BATCH_SIZE),
    },
    {
      provide: InactiveAccounts,
      inject: [DataSource, SERVICE_CONFIG],
      useFactory: (dataSource: DataSource, config: JanitorConfig) =>
        new InactiveAccounts(dataSource, config.JANITOR_BATCH_SIZE),
    },
    {
      provide: MembershipRedemption,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new MembershipRedemption(dataSource),
    },
    {
      provide: TranscriptAppend,
      inject: [SearchIndex],
      useFactory: (search: SearchIndex) => new TranscriptAppend(search),
    },
    {
      provide: UserDestruction,
      inject: [DataSource, LOGGER, SERVICE_CONFIG],
      useFactory: (dataSource: DataSource, logger: Logger, config: JanitorConfig) =>
        new UserDestruction(dataSource, logger, config.JANITOR_BATCH_SIZE),
    },
    {
      provide: SubscriptionExpiry,
      inject: [DataSource, Outbox, SERVICE_CONFIG],
      useFactory: (dataSource: DataSource, outbox: Outbox, config: JanitorConfig) =>
        new SubscriptionExpiry(dataSource, outbox, config.JANITOR_BATCH_SIZE),
    },
    CheckSubscriptionsHandler,
    {
      provide: HeadingIdBackfill,
      inject: [DataSource, SERVICE_CONFIG],
      useFactory: (dataSource: DataSource, config: JanitorConfig) =>
        new HeadingIdBackfill(dataSource, config.JANITOR_BATCH_SIZE),
    },
    AddHeadingIdsHandler,
    {
      provide: UserGeolocation,
      inject: [DataSource, SERVICE_CONFIG],
      useFactory: (dataSource: DataSource, config: JanitorConfig) =>
        new UserGeolocation(dataSource, config.JANITOR_BATCH_SIZE),
    },
    GeoLocateUsersHandler,
    {
      provide: AttachmentTrash,
      inject: [DataSource, NATS_CONNECTION, SERVICE_CONFIG],
      useFactory: async (dataSource: DataSource, nc: NatsConnectionOf, config: JanitorConfig) =>
        new AttachmentTrash(
          dataSource,
          await ObjectFiles.open(nc, ObjectBuckets.attachments, { replicas: config.NATS_STREAM_REPLICAS }),
          config.ATTACHMENT_TRASH_DAYS,
        ),
    },
    UndeleteAttachmentHandler,
    SweepAttachmentTrashHandler,
    DeactivateUserHandler,
    DestroyUserHandler,
    ReactivateUserHandler,
    AppendTranscriptHandler,
    AcceptMembershipHandler,
    CleanupInactiveHandler,
    RevokeMembershipsHandler,
    MoveCommentsHandler,
    RepairThreadHandler,
    PruneProcessedMessagesHandler,
    DestroyGroupHandler,
    PurgeGroupHandler,
    DestroyDiscussionHandler,
    DestroyCommentHandler,
    DestroyTagHandler,
    DestroyRecordHandler,
    UpdateTagHandler,
    DiscardOldChatbotsHandler,
    RedactUserHandler,
    EraseUserHandler,
    IndexDiscussionHandler,
    IndexCommentHandler,
    IndexPollHandler,
    ReindexSearchHandler,
    DeleteExpiredLoginTokensHandler,
    DeleteOldReceivedEmailsHandler,
    DeleteOrphanRecordsHandler,
    UpdateBlockedDomainsHandler,
  ],
})
export class JanitorModule {}
