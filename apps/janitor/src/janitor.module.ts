import { Module } from '@nestjs/common';

/** Janitor: destroy, deactivate, GDPR redaction, cleanup and the search index. Its handlers are added here as providers, one per subject. */
@Module({})
export class JanitorModule {}
