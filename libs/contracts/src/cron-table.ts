import { defineCronTable } from './cron';
import { Contracts } from './registry';

/**
 * The scheduler publishes each entry at every slot (UTC unless a zone is given); adding a periodic job is
 * one line here. Entries join as the services that handle their jobs land (see SPEC.md, the cron table).
 */
export const CronTable = defineCronTable(Contracts, [
  {
    name: 'close-expired-polls',
    schedule: '0 * * * *',
    subject: 'jobs.poller.close-expired-polls',
    payload: {},
    description: 'hourly :00: close polls whose closing time has passed',
  },
  {
    name: 'announce-closing-soon',
    schedule: '0 * * * *',
    subject: 'jobs.poller.announce-closing-soon',
    payload: {},
    description: 'hourly :00: announce polls closing in the hour that starts 24 h from now',
  },
  {
    name: 'prune-processed-messages',
    schedule: '0 0 * * *',
    subject: 'jobs.janitor.prune-processed-messages',
    payload: { olderThanDays: 7 },
    description: 'daily 00:00: forget inbox marks older than 7 days',
  },
]);
