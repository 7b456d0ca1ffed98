import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Outbox } from '@lib/db';
import { AccountStatus } from './accounts/account-status';
import { DeactivateUserHandler } from './accounts/deactivate-user.handler';
import { ReactivateUserHandler } from './accounts/reactivate-user.handler';
import { PruneProcessedMessagesHandler } from './cleanup/prune-processed-messages.handler';

/** Janitor: destroy, deactivate, GDPR redaction, cleanup and the search index. */
@Module({
  providers: [
    {
      provide: AccountStatus,
      inject: [DataSource, Outbox],
      useFactory: (dataSource: DataSource, outbox: Outbox) => new AccountStatus(dataSource, outbox),
    },
    DeactivateUserHandler,
    ReactivateUserHandler,
    PruneProcessedMessagesHandler,
  ],
})
export class JanitorModule {}
