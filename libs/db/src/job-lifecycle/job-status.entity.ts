import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export const JobStates = [
  'scheduled',
  'enqueued',
  'processing',
  'retrying',
  'completed',
  'failed',
  'dead',
  'cancelled',
] as const;
export type JobState = (typeof JobStates)[number];

/**
 * The last known state of one job, by its id (the CloudEvents `ce-id` enqueue returned), written in batches by
 * the runtime and the publisher and kept for a retention period (see docs/job-lifecycle.md).
 */
@Entity({ name: 'job_statuses' })
export class JobStatusRecord {
  @PrimaryColumn({ name: 'id', type: 'text', primaryKeyConstraintName: 'PK_job_statuses' })
  id!: string;

  @Column({ name: 'subject', type: 'text' })
  subject!: string;

  @Column({ name: 'state', type: 'text' })
  state!: JobState;

  /** The attempt running or last run; 0 while it waits for its first. */
  @Column({ name: 'attempt', type: 'integer', default: 0 })
  attempt!: number;

  @Column({ name: 'enqueued_at', type: 'timestamptz', nullable: true })
  enqueuedAt!: Date | null;

  @Column({ name: 'scheduled_for', type: 'timestamptz', nullable: true })
  scheduledFor!: Date | null;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  durationMs!: number | null;

  /** When the state last changed; retention counts from here. */
  @Index('IDX_job_statuses_updated_at')
  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
