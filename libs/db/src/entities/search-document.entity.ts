import { Column, Entity, Index } from 'typeorm';
import type { RecordType } from './activity-event.entity';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  TimestampColumn,
  UpdatedAtColumn,
} from './column-helpers';

/** The full-text index of discussions, comments and polls, kept in step by reindex-search. */
@Entity({ name: 'search_documents' })
@Index('UQ_search_documents_searchable', ['searchableType', 'searchableId'], { unique: true })
// GIN over ts_content; TypeORM cannot declare it, so the migration owns it.
@Index('IDX_search_documents_ts_content', { synchronize: false })
export class SearchDocument {
  @IdPrimaryColumn()
  id!: number;

  @Column({ name: 'searchable_type', type: 'varchar', length: 64 })
  searchableType!: RecordType;

  @IdColumn('searchable_id')
  searchableId!: number;

  @Index('IDX_search_documents_group_id')
  @IdColumn('group_id', { nullable: true })
  groupId!: number | null;

  @IdColumn('discussion_id', { nullable: true })
  discussionId!: number | null;

  @IdColumn('poll_id', { nullable: true })
  pollId!: number | null;

  @IdColumn('author_id', { nullable: true })
  authorId!: number | null;

  /** Plain text the vector was built from. */
  @Column({ name: 'content', type: 'text', default: '' })
  content!: string;

  /**
   * `to_tsvector('simple', content)`: the language-neutral configuration, as content comes in every locale.
   * Not loaded by default: it is large and only queried in SQL (`ts_content @@ query`).
   */
  @Column({ name: 'ts_content', type: 'tsvector', nullable: true, select: false })
  tsContent?: string | null;

  @TimestampColumn('authored_at')
  authoredAt!: Date | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
