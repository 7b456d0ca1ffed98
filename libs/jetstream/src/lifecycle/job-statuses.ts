import type { DataSource } from 'typeorm';
import type { JobState } from '@lib/db';

export interface JobStatus {
  id: string;
  subject: string;
  state: JobState;
  /** The attempt running or last run (0 before the first). */
  attempt: number;
  enqueuedAt: Date | null;
  scheduledFor: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** When a `retrying` job runs next. */
  nextAttemptAt: Date | null;
  lastError: string | null;
  durationMs: number | null;
  updatedAt: Date;
}

interface Row {
  id: string;
  subject: string;
  state: JobState;
  attempt: number;
  enqueued_at: Date | null;
  scheduled_for: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  next_attempt_at: Date | null;
  last_error: string | null;
  duration_ms: number | null;
  updated_at: Date;
}

/** Reads `job_statuses`: `status(id)` with the id enqueue returned (`PublishResult.id`). */
export class JobStatuses {
  constructor(private readonly dataSource: DataSource) {}

  /** The job's last known state, or null when it is unknown (never enqueued here, or past the retention). */
  async status(id: string): Promise<JobStatus | null> {
    const rows = (await this.dataSource.query(`SELECT * FROM job_statuses WHERE id = $1`, [id])) as Row[];
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      subject: row.subject,
      state: row.state,
      attempt: row.attempt,
      enqueuedAt: row.enqueued_at,
      scheduledFor: row.scheduled_for,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      nextAttemptAt: row.next_attempt_at,
      lastError: row.last_error,
      durationMs: row.duration_ms,
      updatedAt: row.updated_at,
    };
  }
}
