import { Check, Column, Entity, Index, JoinColumn, ManyToOne, OneToMany, type Relation } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  TimestampColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import type { RichTextFormat } from './discussion.entity';
import type { Volume } from './membership.entity';
import { Poll } from './poll.entity';
import { StanceChoice } from './stance-choice.entity';
import { User } from './user.entity';

/**
 * A participant's place in a poll: created uncast when they are invited to vote, cast when they vote.
 * Changing a vote adds a new stance and clears `latest` on the previous one.
 */
@Entity({ name: 'stances' })
@Check('CHK_stances_volume', '"volume" BETWEEN 0 AND 3')
// One latest stance per participant; anonymous polls scrub participant_id to NULL, which stays allowed.
@Index('UQ_stances_poll_id_participant_id_latest', ['pollId', 'participantId'], {
  unique: true,
  where: '"latest" = true',
})
export class Stance {
  @IdPrimaryColumn()
  id!: number;

  @Index('IDX_stances_poll_id')
  @IdColumn('poll_id')
  pollId!: number;

  @ManyToOne(() => Poll, (poll) => poll.stances, withoutForeignKey)
  @JoinColumn({ name: 'poll_id' })
  poll?: Relation<Poll>;

  /** Null once an anonymous poll closed. */
  @Index('IDX_stances_participant_id')
  @IdColumn('participant_id', { nullable: true })
  participantId!: number | null;

  @ManyToOne(() => User, withoutForeignKey)
  @JoinColumn({ name: 'participant_id' })
  participant?: Relation<User> | null;

  @OneToMany(() => StanceChoice, (choice) => choice.stance)
  choices?: Relation<StanceChoice>[];

  @Column({ name: 'latest', type: 'boolean', default: true })
  latest!: boolean;

  /** Null while the participant has not voted (undecided). */
  @TimestampColumn('cast_at')
  castAt!: Date | null;

  @TimestampColumn('revoked_at')
  revokedAt!: Date | null;

  /** Null inherits the discussion reader's, then the membership's volume. */
  @Column({ name: 'volume', type: 'smallint', nullable: true })
  volume!: Volume | null;

  @Column({ name: 'reason', type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'reason_format', type: 'varchar', length: 10, default: 'html' })
  reasonFormat!: RichTextFormat;

  /** Option id -> score of this stance's choices, kept in step by the poller when a poll's options change. */
  @Column({ name: 'option_scores', type: 'jsonb', default: () => "'{}'" })
  optionScores!: Record<string, number>;

  @IdColumn('inviter_id', { nullable: true })
  inviterId!: number | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
