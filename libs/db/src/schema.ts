import { DomainEntities } from './entities';
import { ProcessedMessage } from './inbox/processed-message.entity';
import { DomainModel1790000000000 } from './migrations/1790000000000-domain-model';
import { OutboxAndInbox1789000000000 } from './migrations/1789000000000-outbox-and-inbox';
import { OutboxNotifyPerStatement1799000000000 } from './migrations/1799000000000-outbox-notify-per-statement';
import { inTimestampOrder } from './migration-class';
import { OutboxMessage } from './outbox/outbox-message.entity';
import { ChatbotEntities, ChatbotMigrations } from './tables/chatbots';
import { DashboardEntities, DashboardMigrations } from './tables/dashboard';
import { ExporterEntities, ExporterMigrations } from './tables/exporter';
import { JanitorEntities, JanitorMigrations } from './tables/janitor';
import { JobLifecycleEntities, JobLifecycleMigrations } from './tables/job-lifecycle';
import { PollerEntities, PollerMigrations } from './tables/poller';
import { NotifierEntities, NotifierMigrations } from './tables/notifier';

/** Every entity and migration, listed explicitly so a compiled or bundled app finds them all. */
export const AllEntities = [
  ...DomainEntities,
  OutboxMessage,
  ProcessedMessage,
  ...PollerEntities,
  ...NotifierEntities,
  ...ChatbotEntities,
  ...JanitorEntities,
  ...ExporterEntities,
  ...JobLifecycleEntities,
  ...DashboardEntities,
];
export const AllMigrations = inTimestampOrder([
  OutboxAndInbox1789000000000,
  DomainModel1790000000000,
  OutboxNotifyPerStatement1799000000000,
  ...PollerMigrations,
  ...NotifierMigrations,
  ...ChatbotMigrations,
  ...JanitorMigrations,
  ...ExporterMigrations,
  ...JobLifecycleMigrations,
  ...DashboardMigrations,
]);
