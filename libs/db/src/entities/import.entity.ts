import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  TimestampColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import { Group } from './group.entity';

export type ImportKind = 'members_csv';
export type ImportStatus = 'pending' | 'running' | 'completed' | 'failed';

/** A rejected input row: its 1-based line number and why. */
export interface RejectedImportRow {
  line: number;
  reasons: string[];
}

/** A CSV import into a group, with its progress. */
@Entity({ name: 'imports' })
export class Import {
  @IdPrimaryColumn()
  id!: number;

  @Index('IDX_imports_group_id')
  @IdColumn('group_id')
  groupId!: number;

  @ManyToOne(() => Group, withoutForeignKey)
  @JoinColumn({ name: 'group_id' })
  group?: Relation<Group>;

  @IdColumn('author_id')
  authorId!: number;

  @Column({ name: 'kind', type: 'varchar', length: 32, default: 'members_csv' })
  kind!: ImportKind;

  @Column({ name: 'status', type: 'varchar', length: 16, default: 'pending' })
  status!: ImportStatus;

  /** Object name of the uploaded file. */
  @Column({ name: 'object_key', type: 'varchar', length: 255, nullable: true })
  objectKey!: string | null;

  @Column({ name: 'filename', type: 'varchar', length: 255, nullable: true })
  filename!: string | null;

  @Column({ name: 'processed_rows', type: 'integer', default: 0 })
  processedRows!: number;

  @Column({ name: 'imported_rows', type: 'integer', default: 0 })
  importedRows!: number;

  @Column({ name: 'rejected_rows', type: 'jsonb', default: () => "'[]'" })
  rejectedRows!: RejectedImportRow[];

  /** Object name (imports bucket) of the CSV of rejected rows with their reasons, when any were rejected. */
  @Column({ name: 'errors_object_key', type: 'varchar', length: 255, nullable: true })
  errorsObjectKey!: string | null;

  /** Why the import failed once its attempts were exhausted. */
  @Column({ name: 'error', type: 'text', nullable: true })
  error!: string | null;

  @TimestampColumn('started_at')
  startedAt!: Date | null;

  @TimestampColumn('finished_at')
  finishedAt!: Date | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
