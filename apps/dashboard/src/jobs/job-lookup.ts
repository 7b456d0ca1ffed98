import { Injectable } from '@nestjs/common';
import { AdminNotFoundError, JobStatuses } from '@lib/jetstream';
import { InvalidInputError } from '../dashboard-actions.service';
import { maskText } from '../masking/mask';

/** A job's status record with its times as ISO strings and its error masked. */
export type JobStatusView = Record<string, unknown> & { id: string; state: string; lastError: string | null };

export class JobNotFoundError extends AdminNotFoundError {
  override readonly name: string = 'JobNotFoundError';
  constructor(readonly id: string) {
    super(
      `No status for job ${id}: unknown id, a subject that does not track statuses, or older than the retention (7 days).`,
    );
  }
}

/** Ids are what enqueue returned (a UUID, or an id the publisher chose): printable, no spaces. */
export function parseJobId(value: unknown): string {
  const id = typeof value === 'string' ? value.trim() : '';
  if (!/^[\x21-\x7e]{1,200}$/.test(id)) {
    throw new InvalidInputError(`"${String(value).slice(0, 80)}" is not a job id (the id enqueue returned)`);
  }
  return id;
}

/** "What happened to job X?": the `job_statuses` row the workers keep (docs/job-lifecycle.md). */
@Injectable()
export class JobLookup {
  constructor(private readonly statuses: JobStatuses) {}

  async status(id: string): Promise<JobStatusView> {
    const status = await this.statuses.status(id);
    if (!status) throw new JobNotFoundError(id);
    const view: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(status)) {
      view[field] = value instanceof Date ? value.toISOString() : value;
    }
    return {
      ...view,
      id: status.id,
      state: status.state,
      lastError: status.lastError === null ? null : maskText(status.lastError),
    };
  }
}
