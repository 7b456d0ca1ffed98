import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import {
  bigintAsNumber,
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  TimestampColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import { Group } from './group.entity';

export type ExportFormat = 'jsonl' | 'csv';
/** `refused`: the requester is not an admin of the group; `error` says so. */
export type ExportStatus = 'pending' | 'running' | 'completed' | 'refused' | 'failed';

/** A group export requested by an admin, written to the object store. */
@Entity({ name: 'exports' })
// delete-expired-exports
@Index('IDX_exports_expires_at', ['expiresAt'], { where: '"expires_at" IS NOT NULL' })
export class Export {
  @IdPrimaryColumn()
  id!: number;

  @Index('IDX_exports_group_id')
  @IdColumn('group_id')
  groupId!: number;

  @ManyToOne(() => Group, withoutForeignKey)
  @JoinColumn({ name: 'group_id' })
  group?: Relation<Group>;

  @IdColumn('requester_id')
  requesterId!: number;

  @Column({ name: 'format', type: 'varchar', length: 8 })
  format!: ExportFormat;

  @Column({ name: 'status', type: 'varchar', length: 16, default: 'pending' })
  status!: ExportStatus;

  @Column({ name: 'error', type: 'text', nullable: true })
  error!: string | null;

  /** The id of the request message that created it: a redelivered request resumes this export. */
  @Index('UQ_exports_request_id', { unique: true })
  @Column({ name: 'request_id', type: 'varchar', length: 255, nullable: true })
  requestId!: string | null;

  /** While running: the table being written (progress, with `row_count` and `size_bytes` so far). */
  @Column({ name: 'current_table', type: 'varchar', length: 64, nullable: true })
  currentTable!: string | null;

  /** Object name in the exports bucket. */
  @Column({ name: 'object_key', type: 'varchar', length: 255, nullable: true })
  objectKey!: string | null;

  @Column({ name: 'size_bytes', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  sizeBytes!: number | null;

  @Column({ name: 'row_count', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  rowCount!: number | null;

  @TimestampColumn('completed_at')
  completedAt!: Date | null;

  /** Seven days after completion; the file and the row go then. */
  @TimestampColumn('expires_at')
  expiresAt!: Date | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
