import { Column, Entity, Index, JoinColumn, ManyToOne, OneToMany, type Relation } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  TimestampColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import { Comment } from './comment.entity';
import { Group } from './group.entity';
import { User } from './user.entity';

export type RichTextFormat = 'html' | 'md';

@Entity({ name: 'discussions' })
// update-tag searches tag arrays; TypeORM cannot declare a GIN index, so the migration owns it.
@Index('IDX_discussions_tags', { synchronize: false })
export class Discussion {
  @IdPrimaryColumn()
  id!: number;

  /** Null for a direct discussion between invited people outside any group. */
  @Index('IDX_discussions_group_id')
  @IdColumn('group_id', { nullable: true })
  groupId!: number | null;

  @ManyToOne(() => Group, withoutForeignKey)
  @JoinColumn({ name: 'group_id' })
  group?: Relation<Group> | null;

  @Index('IDX_discussions_author_id')
  @IdColumn('author_id')
  authorId!: number;

  @ManyToOne(() => User, withoutForeignKey)
  @JoinColumn({ name: 'author_id' })
  author?: Relation<User>;

  @OneToMany(() => Comment, (comment) => comment.discussion)
  comments?: Relation<Comment>[];

  /** URL key, unique. */
  @Index('UQ_discussions_key', { unique: true })
  @Column({ name: 'key', type: 'varchar', length: 32, nullable: true })
  key!: string | null;

  @Column({ name: 'title', type: 'varchar', length: 255 })
  title!: string;

  /** Rich text; mentions of users appear in it as markup carrying their name. */
  @Column({ name: 'description', type: 'text', nullable: true })
  description!: string | null;

  @Column({ name: 'description_format', type: 'varchar', length: 10, default: 'html' })
  descriptionFormat!: RichTextFormat;

  @Column({ name: 'private', type: 'boolean', default: true })
  private!: boolean;

  @Column({ name: 'tags', type: 'text', array: true, default: () => "'{}'" })
  tags!: string[];

  /** Deepest reply nesting shown; repair-thread caps event depth with it. */
  @Column({ name: 'max_depth', type: 'integer', default: 2 })
  maxDepth!: number;

  /** Thread items are numbered 1..last_sequence_id (the new_discussion root is 0). */
  @Column({ name: 'last_sequence_id', type: 'integer', default: 0 })
  lastSequenceId!: number;

  @Column({ name: 'items_count', type: 'integer', default: 0 })
  itemsCount!: number;

  @TimestampColumn('last_activity_at')
  lastActivityAt!: Date | null;

  @TimestampColumn('closed_at')
  closedAt!: Date | null;

  @TimestampColumn('discarded_at')
  discardedAt!: Date | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
