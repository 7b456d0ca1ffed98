import type { DataSource, EntityManager } from 'typeorm';
import type { ContractMap } from '@lib/contracts';
import type { DelayedJobs, DelayedJobTiming, OutboxPublishOptions } from '@lib/db';
import { recordScheduled } from './job-batches';

export interface ScheduledJob {
  /** The job id (`ce-id`): `jobs.status(id)` answers `scheduled` until it is due. */
  id: string;
  /** The outbox row, which `DelayedJobs.cancel` takes. */
  rowId: string;
  deliverAt: Date;
}

/**
 * perform_in / perform_at with a status: the delayed job (an outbox row) and its `scheduled` row in
 * `job_statuses` are written in one transaction, the caller's when `manager` is given.
 */
export class ScheduledJobs {
  constructor(
    private readonly dataSource: DataSource,
    private readonly delayedJobs: DelayedJobs,
    private readonly contracts: ContractMap,
  ) {}

  async enqueue(
    subject: string,
    data: unknown,
    timing: DelayedJobTiming,
    options: Omit<OutboxPublishOptions, 'deliverAt'> & { manager?: EntityManager } = {},
  ): Promise<ScheduledJob> {
    const run = async (manager: EntityManager) => {
      const entry = await this.delayedJobs.enqueue(subject, data, timing, { ...options, manager });
      const id = options.msgId ?? entry.id;
      if (this.contracts[subject]?.options.trackStatus !== false)
        await recordScheduled(manager, [{ id, subject, deliverAt: entry.deliverAt }]);
      return { id, rowId: entry.id, deliverAt: entry.deliverAt };
    };
    return options.manager ? run(options.manager) : this.dataSource.transaction(run);
  }
}
