import { z } from 'zod';
import { defineEvent, defineJob } from './contract';
import type { CronEntry } from './cron';
import { Id } from './ids';

/* The exporter: group exports (JSONL, CSV), CSV imports, attachments. */

export const ExportReady = defineEvent({
  subject: 'events.export.ready',
  description:
    'A group export finished and can be downloaded until its expiry; the requester was e-mailed a signed link.',
  schema: z.object({ exportId: Id, groupId: Id, requesterId: Id }),
});

export const DeleteExpiredExports = defineJob({
  subject: 'jobs.exporter.delete-expired-exports',
  description: 'Delete every export past its expiry: its file in the object store, then its row.',
  schema: z.object({}),
  options: { priority: 'low', maxAttempts: 10, timeoutMs: 30 * 60_000, concurrency: 1 },
});

export const ImportMembersCsv = defineJob({
  subject: 'jobs.exporter.import-members-csv',
  description:
    'Read the uploaded members CSV of an `imports` row (email, name, role), add or update the members in batches, record rejected rows.',
  schema: z.object({ importId: Id }),
  options: {
    priority: 'default',
    maxAttempts: 5,
    timeoutMs: 60 * 60_000,
    unique: { key: (p) => `import-members-csv:${p.importId}`, ttlMs: 3600_000, onConflict: 'drop' },
  },
});

export const ImportFinished = defineEvent({
  subject: 'events.import.finished',
  description: 'A members CSV import ended, completed (some rows may have been rejected) or failed.',
  schema: z.object({
    importId: Id,
    groupId: Id,
    status: z.enum(['completed', 'failed']),
    importedRows: z.number().int().min(0),
    rejectedRows: z.number().int().min(0),
  }),
});

export const DownloadAttachment = defineJob({
  subject: 'jobs.exporter.download-attachment',
  description:
    "Fetch an attachment's remote file (its `source_url`, through the outbound URL guard, size-capped) into the attachments bucket under its key, and record size, checksum and type.",
  schema: z.object({ attachmentId: Id }),
  options: { priority: 'low', maxAttempts: 8, timeoutMs: 10 * 60_000 },
});

/** 'YYYY-MM-DD', a Monday (UTC): the first day of a statistics week. */
const WeekStarting = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((date) => {
    const parsed = new Date(`${date}T00:00:00Z`);
    return (
      !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(date) && parsed.getUTCDay() === 1
    );
  }, 'must be a Monday (the first day of a statistics week)');

export const GroupStatisticsJob = defineJob({
  subject: 'jobs.exporter.group-statistics',
  description:
    "Per group, members, active members (who wrote or voted), discussions, comments, polls and votes of one week into group_statistics, counted as of the week's end; one row per (group, week), rewritten by a re-run. Without weekStarting: the week that just ended.",
  schema: z.object({ weekStarting: WeekStarting.optional() }),
  options: { priority: 'low', maxAttempts: 5, timeoutMs: 60 * 60_000, concurrency: 1 },
});

/** Every job the exporter runs and every event it publishes (events published by the app live in events.ts). */
export const ExporterContracts = [
  ExportReady,
  DeleteExpiredExports,
  ImportMembersCsv,
  ImportFinished,
  DownloadAttachment,
  GroupStatisticsJob,
] as const;

/** The domain events the exporter consumes (one durable consumer each). */
export const ExporterSubscriptions: readonly string[] = ['events.group.export-requested'];

export const ExporterCronEntries: CronEntry[] = [
  {
    name: 'delete-expired-exports',
    schedule: '0 0 * * *',
    subject: 'jobs.exporter.delete-expired-exports',
    payload: {},
    description: 'daily 00:00: delete exports past their expiry (file and row)',
  },
  {
    name: 'group-statistics',
    schedule: '0 0 * * 1',
    subject: 'jobs.exporter.group-statistics',
    payload: {},
    description: 'weekly, Monday 00:00: per-group statistics of the week that just ended',
  },
];
