import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  TimestampColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import { Discussion, type RichTextFormat } from './discussion.entity';
import { User } from './user.entity';

@Entity({ name: 'comments' })
export class Comment {
  @IdPrimaryColumn()
  id!: number;

  @Index('IDX_comments_discussion_id')
  @IdColumn('discussion_id')
  discussionId!: number;

  @ManyToOne(() => Discussion, (discussion) => discussion.comments, withoutForeignKey)
  @JoinColumn({ name: 'discussion_id' })
  discussion?: Relation<Discussion>;

  @Index('IDX_comments_author_id')
  @IdColumn('author_id')
  authorId!: number;

  @ManyToOne(() => User, withoutForeignKey)
  @JoinColumn({ name: 'author_id' })
  author?: Relation<User>;

  /** The comment this one replies to; null for a reply to the discussion itself. */
  @Index('IDX_comments_parent_id')
  @IdColumn('parent_id', { nullable: true })
  parentId!: number | null;

  @ManyToOne(() => Comment, withoutForeignKey)
  @JoinColumn({ name: 'parent_id' })
  parent?: Relation<Comment> | null;

  /** Rich text; mentions carry the mentioned user's name. */
  @Column({ name: 'body', type: 'text', default: '' })
  body!: string;

  @Column({ name: 'body_format', type: 'varchar', length: 10, default: 'html' })
  bodyFormat!: RichTextFormat;

  @TimestampColumn('edited_at')
  editedAt!: Date | null;

  @TimestampColumn('discarded_at')
  discardedAt!: Date | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
