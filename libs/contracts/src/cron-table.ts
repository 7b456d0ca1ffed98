import { defineCronTable } from './cron';
import { Contracts } from './registry';

/**
 * The scheduler publishes each entry at every slot (UTC unless a zone is given); adding a periodic job is
 * one line here. Entries join as the services that handle their jobs land (see SPEC.md, the cron table).
 */
export const CronTable = defineCronTable(Contracts, [
  {
    name: 'prune-processed-messages',
    schedule: '0 0 * * *',
    subject: 'jobs.janitor.prune-processed-messages',
    payload: { olderThanDays: 7 },
    description: 'daily 00:00: forget inbox marks older than 7 days',
  },
]);
