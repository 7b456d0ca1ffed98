import { Column, Entity, Index } from 'typeorm';
import type { RecordType } from './activity-event.entity';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  TimestampColumn,
  UpdatedAtColumn,
} from './column-helpers';

/** A link or file listed on a record (group, discussion, poll...), with a title. */
@Entity({ name: 'documents' })
@Index('IDX_documents_record', ['recordType', 'recordId'])
export class Document {
  @IdPrimaryColumn()
  id!: number;

  @Column({ name: 'record_type', type: 'varchar', length: 64 })
  recordType!: RecordType;

  @IdColumn('record_id')
  recordId!: number;

  @Index('IDX_documents_group_id')
  @IdColumn('group_id', { nullable: true })
  groupId!: number | null;

  @IdColumn('author_id')
  authorId!: number;

  @Column({ name: 'title', type: 'varchar', length: 255 })
  title!: string;

  /** For a link; null for an uploaded file. */
  @Column({ name: 'url', type: 'varchar', length: 2048, nullable: true })
  url!: string | null;

  /** e.g. pdf, spreadsheet, image, other. */
  @Column({ name: 'doctype', type: 'varchar', length: 32, default: 'other' })
  doctype!: string;

  /** Object-store key of an uploaded file. */
  @Column({ name: 'key', type: 'varchar', length: 255, nullable: true })
  key!: string | null;

  @Column({ name: 'filename', type: 'varchar', length: 255, nullable: true })
  filename!: string | null;

  @TimestampColumn('deleted_at')
  deletedAt!: Date | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
