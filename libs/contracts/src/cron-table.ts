import { ChatbotCronEntries } from './chatbot-contracts';
import { defineCronTable } from './cron';
import { ExporterCronEntries } from './exporter-contracts';
import { JanitorCronEntries } from './janitor-contracts';
import { NotifierCronEntries } from './notifier-contracts';
import { PollerCronEntries } from './poller-contracts';
import { Contracts } from './registry';

/**
 * The scheduler publishes each entry at every slot (UTC unless a zone is given). Each app lists its own
 * entries in its `<app>-contracts.ts`; adding a periodic job is one line there (see SPEC.md, the cron table).
 */
export const CronTable = defineCronTable(Contracts, [
  ...PollerCronEntries,
  ...NotifierCronEntries,
  ...ChatbotCronEntries,
  ...JanitorCronEntries,
  ...ExporterCronEntries,
]);
