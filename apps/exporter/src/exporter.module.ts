import { Module } from '@nestjs/common';

/** Exporter: group exports, CSV imports and attachments. Its handlers are added here as providers, one per subject. */
@Module({})
export class ExporterModule {}
