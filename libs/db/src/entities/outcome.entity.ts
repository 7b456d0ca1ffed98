import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import type { RichTextFormat } from './discussion.entity';
import { PollOption } from './poll-option.entity';
import { Poll } from './poll.entity';
import { User } from './user.entity';

/** The statement closing a poll. `date` columns hold calendar days ('YYYY-MM-DD'), no time or zone. */
@Entity({ name: 'outcomes' })
@Index('IDX_outcomes_review_on', ['reviewOn'], { where: '"review_on" IS NOT NULL' })
export class Outcome {
  @IdPrimaryColumn()
  id!: number;

  @Index('IDX_outcomes_poll_id')
  @IdColumn('poll_id')
  pollId!: number;

  @ManyToOne(() => Poll, withoutForeignKey)
  @JoinColumn({ name: 'poll_id' })
  poll?: Relation<Poll>;

  @IdColumn('author_id')
  authorId!: number;

  @ManyToOne(() => User, withoutForeignKey)
  @JoinColumn({ name: 'author_id' })
  author?: Relation<User>;

  @Column({ name: 'statement', type: 'text' })
  statement!: string;

  @Column({ name: 'statement_format', type: 'varchar', length: 10, default: 'html' })
  statementFormat!: RichTextFormat;

  /** Editing an outcome adds a new one; only the latest counts. */
  @Column({ name: 'latest', type: 'boolean', default: true })
  latest!: boolean;

  @Column({ name: 'review_on', type: 'date', nullable: true })
  reviewOn!: string | null;

  /** The review_on the author was reminded for; moving review_on re-arms the reminder. */
  @Column({ name: 'review_notified_for', type: 'date', nullable: true })
  reviewNotifiedFor!: string | null;

  /** For a meeting poll: the chosen date option, which makes outcome e-mails carry `meeting.ics`. */
  @IdColumn('poll_option_id', { nullable: true })
  pollOptionId!: number | null;

  @ManyToOne(() => PollOption, withoutForeignKey)
  @JoinColumn({ name: 'poll_option_id' })
  pollOption?: Relation<PollOption> | null;

  /** SUMMARY of the calendar event. */
  @Column({ name: 'event_summary', type: 'varchar', length: 255, nullable: true })
  eventSummary!: string | null;

  /** LOCATION of the calendar event. */
  @Column({ name: 'event_location', type: 'varchar', length: 255, nullable: true })
  eventLocation!: string | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
