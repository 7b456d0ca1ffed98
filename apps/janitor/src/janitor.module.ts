import { Module } from '@nestjs/common';
import { PruneProcessedMessagesHandler } from './cleanup/prune-processed-messages.handler';

/** Janitor: destroy, deactivate, GDPR redaction, cleanup and the search index. */
@Module({ providers: [PruneProcessedMessagesHandler] })
export class JanitorModule {}
