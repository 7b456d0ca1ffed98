import { Check, Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  TimestampColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import { Discussion } from './discussion.entity';
import type { Volume } from './membership.entity';
import { User } from './user.entity';

/** Inclusive ranges of thread sequence ids, ascending and disjoint: `[[1, 5], [8, 9]]`. */
export type ReadRanges = Array<[first: number, last: number]>;

/** A user's relation to one discussion: what they read, how loudly they follow it, guest access. */
@Entity({ name: 'discussion_readers' })
@Check('CHK_discussion_readers_volume', '"volume" BETWEEN 0 AND 3')
@Index('UQ_discussion_readers_user_id_discussion_id', ['userId', 'discussionId'], { unique: true })
export class DiscussionReader {
  @IdPrimaryColumn()
  id!: number;

  @Index('IDX_discussion_readers_discussion_id')
  @IdColumn('discussion_id')
  discussionId!: number;

  @ManyToOne(() => Discussion, withoutForeignKey)
  @JoinColumn({ name: 'discussion_id' })
  discussion?: Relation<Discussion>;

  @IdColumn('user_id')
  userId!: number;

  @ManyToOne(() => User, withoutForeignKey)
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  /** Null inherits the membership's volume. */
  @Column({ name: 'volume', type: 'smallint', nullable: true })
  volume!: Volume | null;

  @TimestampColumn('last_read_at')
  lastReadAt!: Date | null;

  /** Refer to event sequence ids, which is why those are never renumbered. */
  @Column({ name: 'read_ranges', type: 'jsonb', default: () => "'[]'" })
  readRanges!: ReadRanges;

  /** Invited to this discussion only, without a membership of its group. */
  @Column({ name: 'guest', type: 'boolean', default: false })
  guest!: boolean;

  @IdColumn('inviter_id', { nullable: true })
  inviterId!: number | null;

  @TimestampColumn('revoked_at')
  revokedAt!: Date | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
