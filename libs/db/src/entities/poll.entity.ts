import { Check, Column, Entity, Index, JoinColumn, ManyToOne, OneToMany, type Relation } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  TimestampColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import { Discussion, type RichTextFormat } from './discussion.entity';
import { Group } from './group.entity';
import { PollOption } from './poll-option.entity';
import { Stance } from './stance.entity';
import { User } from './user.entity';

export const POLL_TYPES = [
  'proposal',
  'poll',
  'count',
  'score',
  'ranked_choice',
  'meeting',
  'dot_vote',
  'check',
  'question',
] as const;
export type PollType = (typeof POLL_TYPES)[number];

export const POLL_HIDE_RESULTS = ['off', 'until_vote', 'until_closed'] as const;
export type PollHideResults = (typeof POLL_HIDE_RESULTS)[number];

/** Who hears that a poll closes within 24 h. */
export type NotifyOnClosingSoon = 0 | 1 | 2 | 3;
export const NOTIFY_CLOSING_SOON_NOBODY = 0;
export const NOTIFY_CLOSING_SOON_AUTHOR = 1;
export const NOTIFY_CLOSING_SOON_UNDECIDED = 2;
export const NOTIFY_CLOSING_SOON_VOTERS = 3;

@Entity({ name: 'polls' })
@Check('CHK_polls_notify_on_closing_soon', '"notify_on_closing_soon" BETWEEN 0 AND 3')
// Serves both close-expired-polls (closing_at <= now) and announce-closing-soon (an hour-wide window).
@Index('IDX_polls_open_closing_at', ['closingAt'], {
  where: '"closed_at" IS NULL AND "discarded_at" IS NULL',
})
@Index('IDX_polls_tags', { synchronize: false })
export class Poll {
  @IdPrimaryColumn()
  id!: number;

  @Index('IDX_polls_group_id')
  @IdColumn('group_id', { nullable: true })
  groupId!: number | null;

  @ManyToOne(() => Group, withoutForeignKey)
  @JoinColumn({ name: 'group_id' })
  group?: Relation<Group> | null;

  /** Null for a poll standing alone, outside any thread. */
  @Index('IDX_polls_discussion_id')
  @IdColumn('discussion_id', { nullable: true })
  discussionId!: number | null;

  @ManyToOne(() => Discussion, withoutForeignKey)
  @JoinColumn({ name: 'discussion_id' })
  discussion?: Relation<Discussion> | null;

  @Index('IDX_polls_author_id')
  @IdColumn('author_id')
  authorId!: number;

  @ManyToOne(() => User, withoutForeignKey)
  @JoinColumn({ name: 'author_id' })
  author?: Relation<User>;

  @OneToMany(() => PollOption, (option) => option.poll)
  options?: Relation<PollOption>[];

  @OneToMany(() => Stance, (stance) => stance.poll)
  stances?: Relation<Stance>[];

  @Index('UQ_polls_key', { unique: true })
  @Column({ name: 'key', type: 'varchar', length: 32, nullable: true })
  key!: string | null;

  @Column({ name: 'title', type: 'varchar', length: 255 })
  title!: string;

  @Column({ name: 'details', type: 'text', nullable: true })
  details!: string | null;

  @Column({ name: 'details_format', type: 'varchar', length: 10, default: 'html' })
  detailsFormat!: RichTextFormat;

  @Column({ name: 'poll_type', type: 'varchar', length: 32 })
  pollType!: PollType;

  @Column({ name: 'tags', type: 'text', array: true, default: () => "'{}'" })
  tags!: string[];

  /** Null while a poll has no deadline yet (a draft). */
  @TimestampColumn('closing_at')
  closingAt!: Date | null;

  @TimestampColumn('closed_at')
  closedAt!: Date | null;

  @TimestampColumn('discarded_at')
  discardedAt!: Date | null;

  /** Once closed, participant_id is scrubbed from the poll's stances and their events. */
  @Column({ name: 'anonymous', type: 'boolean', default: false })
  anonymous!: boolean;

  @Column({
    name: 'hide_results',
    type: 'enum',
    enum: POLL_HIDE_RESULTS,
    enumName: 'poll_hide_results',
    default: 'off',
  })
  hideResults!: PollHideResults;

  @Column({ name: 'notify_on_closing_soon', type: 'smallint', default: 0 })
  notifyOnClosingSoon!: NotifyOnClosingSoon;

  /** The closing_at the closing-soon notice went out for; moving closing_at re-arms the notice. */
  @TimestampColumn('closing_soon_notified_for')
  closingSoonNotifiedFor!: Date | null;

  /** Latest, non-revoked stances that were cast. */
  @Column({ name: 'voters_count', type: 'integer', default: 0 })
  votersCount!: number;

  /** Latest, non-revoked stances not cast yet. */
  @Column({ name: 'undecided_count', type: 'integer', default: 0 })
  undecidedCount!: number;

  /** Latest, non-revoked stances: voters plus undecided. */
  @Column({ name: 'stances_count', type: 'integer', default: 0 })
  stancesCount!: number;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
