import type { CronEntry } from './cron';

/* The exporter: group exports (JSONL, CSV), CSV imports, attachments. */

/** Every job the exporter runs and every event it publishes (events published by the app live in events.ts). */
export const ExporterContracts = [] as const;

/** The domain events the exporter consumes (one durable consumer each). */
export const ExporterSubscriptions: readonly string[] = [];

export const ExporterCronEntries: CronEntry[] = [];
