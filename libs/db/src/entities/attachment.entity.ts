import { Column, Entity, Index } from 'typeorm';
import type { RecordType } from './activity-event.entity';
import {
  bigintAsNumber,
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  TimestampColumn,
  UpdatedAtColumn,
} from './column-helpers';

/** A file stored in the object store and attached to a record's rich text. */
@Entity({ name: 'attachments' })
@Index('IDX_attachments_record', ['recordType', 'recordId'])
export class Attachment {
  @IdPrimaryColumn()
  id!: number;

  @Column({ name: 'record_type', type: 'varchar', length: 64 })
  recordType!: RecordType;

  @IdColumn('record_id')
  recordId!: number;

  @Index('IDX_attachments_group_id')
  @IdColumn('group_id', { nullable: true })
  groupId!: number | null;

  @IdColumn('author_id', { nullable: true })
  authorId!: number | null;

  /** Object-store key; a deleted attachment's object stays in the trash area for 30 days. */
  @Index('UQ_attachments_key', { unique: true })
  @Column({ name: 'key', type: 'varchar', length: 255 })
  key!: string;

  @Column({ name: 'filename', type: 'varchar', length: 255 })
  filename!: string;

  @Column({ name: 'content_type', type: 'varchar', length: 255, nullable: true })
  contentType!: string | null;

  @Column({ name: 'byte_size', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  byteSize!: number | null;

  /** Base64 MD5 of the content. */
  @Column({ name: 'checksum', type: 'varchar', length: 64, nullable: true })
  checksum!: string | null;

  /** The remote URL download-attachment fetched it from, if any. */
  @Column({ name: 'source_url', type: 'varchar', length: 2048, nullable: true })
  sourceUrl!: string | null;

  @TimestampColumn('deleted_at')
  deletedAt!: Date | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
