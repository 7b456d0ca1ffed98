import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A job to publish when a batch finishes: a contract subject and the payload the batch's outcome is added to. */
export interface BatchCallback {
  subject: string;
  payload: Record<string, unknown>;
}

/** A batch of jobs (docs/job-lifecycle.md, "Batches"): counters of members that reached a final state. */
@Entity({ name: 'job_batches' })
export class JobBatchRecord {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'PK_job_batches' })
  id!: string;

  @Column({ name: 'name', type: 'text' })
  name!: string;

  /** Null while members are still being added; the batch can finish only once it is set. */
  @Column({ name: 'total', type: 'integer', nullable: true })
  total!: number | null;

  @Column({ name: 'succeeded', type: 'integer', default: 0 })
  succeeded!: number;

  /** Members that failed, died or were cancelled. */
  @Column({ name: 'failed', type: 'integer', default: 0 })
  failed!: number;

  @Column({ name: 'on_complete', type: 'jsonb', nullable: true })
  onComplete!: BatchCallback | null;

  @Column({ name: 'on_success', type: 'jsonb', nullable: true })
  onSuccess!: BatchCallback | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  /** Set, once, by the transaction whose member made the count reach the total; it also queued the callbacks. */
  @Index('IDX_job_batches_finished_at')
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}

/** A member of a batch that reached a final state: the first state recorded wins. */
@Entity({ name: 'job_batch_members' })
export class JobBatchMemberRecord {
  @PrimaryColumn({ name: 'batch_id', type: 'uuid', primaryKeyConstraintName: 'PK_job_batch_members' })
  batchId!: string;

  @PrimaryColumn({ name: 'job_id', type: 'text', primaryKeyConstraintName: 'PK_job_batch_members' })
  jobId!: string;

  @Column({ name: 'subject', type: 'text' })
  subject!: string;

  /** completed, failed, dead or cancelled. */
  @Column({ name: 'final_state', type: 'text' })
  finalState!: string;

  @Column({ name: 'error', type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'finished_at', type: 'timestamptz', default: () => 'now()' })
  finishedAt!: Date;
}
