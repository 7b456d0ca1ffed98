import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  LOGGER,
  OperatorAdmin,
  type CronRunResult,
  type RetryAllResult,
  type RetryResult,
} from '@lib/jetstream';
import { PausedKeys } from './rate-limits/paused-keys';
import { ScheduledJobs } from './scheduled/scheduled-jobs';

/** Subject filters operators type: NATS tokens and wildcards, nothing else. */
const SubjectFilter = /^[A-Za-z0-9_-]+(\.([A-Za-z0-9_-]+|\*|>))*(\.>)?$|^>$/;

export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
}

export function parseSubjectFilter(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length > 200 || !SubjectFilter.test(value)) {
    throw new InvalidInputError(
      `"${String(value).slice(0, 80)}" is not a subject filter (e.g. jobs.notifier.*)`,
    );
  }
  return value;
}

export function parseSeq(value: unknown): number {
  const seq = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(seq) || seq < 1)
    throw new InvalidInputError(`"${String(value)}" is not a sequence number`);
  return seq;
}

/** Every state-changing operator action, logged with who did it (the audit trail is the log). */
@Injectable()
export class DashboardActions {
  constructor(
    private readonly admin: OperatorAdmin,
    private readonly scheduled: ScheduledJobs,
    private readonly pausedKeys: PausedKeys,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async retryDeadLetter(user: string, seq: number): Promise<RetryResult> {
    const result = await this.admin.deadLetters.retry(seq);
    this.audit(user, 'dead-letter retried', { seq, subject: result.subject, msgId: result.msgId });
    return result;
  }

  async deleteDeadLetter(user: string, seq: number): Promise<void> {
    await this.admin.deadLetters.delete(seq);
    this.audit(user, 'dead letter deleted', { seq });
  }

  async retryAllDeadLetters(user: string, subject: string | undefined): Promise<RetryAllResult> {
    const result = await this.admin.deadLetters.retryAll({ subject });
    this.audit(user, 'dead letters retried', { subject: subject ?? '*', retried: result.retried });
    return result;
  }

  async runScheduledNow(user: string, id: string): Promise<void> {
    await this.scheduled.runNow(id);
    this.audit(user, 'scheduled job run now', { id });
  }

  async deleteScheduled(user: string, id: string): Promise<void> {
    await this.scheduled.delete(id);
    this.audit(user, 'scheduled job deleted', { id });
  }

  async runCronNow(user: string, name: string): Promise<CronRunResult> {
    const result = await this.admin.cron.runNow(name);
    this.audit(user, 'cron entry run now', { cron: name, id: result.id });
    return result;
  }

  async setCronPaused(user: string, name: string, paused: boolean): Promise<void> {
    await this.admin.cron.setPaused(name, paused);
    this.audit(user, paused ? 'cron entry paused' : 'cron entry resumed', { cron: name });
  }

  async resumePausedKey(
    user: string,
    id: string,
  ): Promise<{ consumer: string; subject: string; key: string }> {
    const resumed = await this.pausedKeys.resume(id);
    this.audit(user, 'paused key resumed', resumed);
    return resumed;
  }

  private audit(user: string, action: string, details: object): void {
    this.logger.info({ audit: true, user, ...details }, action);
  }
}
