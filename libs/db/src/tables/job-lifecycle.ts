import { JobBatchMemberRecord, JobBatchRecord } from '../job-lifecycle/job-batch.entity';
import { JobStatusRecord } from '../job-lifecycle/job-status.entity';
import type { EntityClass, MigrationClass } from '../migration-class';
import { JobStatuses1794000000000 } from '../migrations/1794000000000-job-statuses';
import { JobBatches1801000000000 } from '../migrations/1801000000000-job-batches';
import { JobPrerequisites1802000000000 } from '../migrations/1802000000000-job-prerequisites';
/*
 * The tables the job-lifecycle work added beyond the SPEC data model: its entities and migrations, exported from the
 * `@lib/db` barrel and listed in schema.ts (TypeORM runs migrations in timestamp order, whatever the list).
 */
export const JobLifecycleEntities: EntityClass[] = [JobStatusRecord, JobBatchRecord, JobBatchMemberRecord];
export const JobLifecycleMigrations: MigrationClass[] = [
  JobStatuses1794000000000,
  JobBatches1801000000000,
  JobPrerequisites1802000000000,
];
export { JobStatusRecord, JobStates, type JobState } from '../job-lifecycle/job-status.entity';
export { JobBatchMemberRecord, JobBatchRecord, type BatchCallback } from '../job-lifecycle/job-batch.entity';
