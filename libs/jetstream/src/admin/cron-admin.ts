import type { Logger } from 'pino';
import type { CronEntry } from '@lib/contracts';
import { planCronTable } from '../cron/cron-plan';
import { CronScheduler, type CronEntryStatus, type CronPublish } from '../cron/cron-scheduler';
import type { CronStateStore } from '../cron/cron-state';
import { AdminNotFoundError } from './admin-errors';

export class CronEntryNotFoundError extends AdminNotFoundError {
  override readonly name: string = 'CronEntryNotFoundError';
  constructor(
    readonly entry: string,
    known: string[],
  ) {
    super(`No cron entry "${entry}"; known: ${known.join(', ')}`);
  }
}

export interface CronRunResult {
  name: string;
  /** The `Nats-Msg-Id` of the published message. */
  id: string;
  ranAt: string;
}

/**
 * Operator actions on the cron table, on the state the schedulers share. It never ticks: publishing slots
 * stays the scheduler's job. A run by hand is recorded as the entry's last run, as sidekiq-cron's
 * "enqueue now" does, so the operator sees it happened; the slot bookkeeping is left alone.
 */
export class CronAdmin {
  private readonly scheduler: CronScheduler;
  private readonly names: string[];

  constructor(
    table: readonly CronEntry[],
    private readonly store: CronStateStore,
    publish: CronPublish,
    logger: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.scheduler = new CronScheduler(planCronTable(table), store, publish, logger, clock);
    this.names = table.map((entry) => entry.name);
  }

  status(): Promise<CronEntryStatus[]> {
    return this.scheduler.status();
  }

  async runNow(name: string): Promise<CronRunResult> {
    this.known(name);
    const id = await this.scheduler.runNow(name);
    const ranAt = this.clock().toISOString();
    // Compare-and-set: a scheduler claiming a slot at the same moment re-reads and keeps its own fields.
    await this.store.modify(name, (state) => ({ ...state, publishedAt: ranAt }));
    return { name, id, ranAt };
  }

  async setPaused(name: string, paused: boolean): Promise<void> {
    this.known(name);
    await this.scheduler.setPaused(name, paused);
  }

  private known(name: string): void {
    if (!this.names.includes(name)) throw new CronEntryNotFoundError(name, this.names);
  }
}
