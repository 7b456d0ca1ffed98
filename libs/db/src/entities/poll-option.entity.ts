import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import { Poll } from './poll.entity';

/** Number of voters per score given to this option, keyed by score: `{ "1": 4, "2": 1 }`. */
export type ScoreCounts = Record<string, number>;

@Entity({ name: 'poll_options' })
export class PollOption {
  @IdPrimaryColumn()
  id!: number;

  @Index('IDX_poll_options_poll_id')
  @IdColumn('poll_id')
  pollId!: number;

  @ManyToOne(() => Poll, (poll) => poll.options, withoutForeignKey)
  @JoinColumn({ name: 'poll_id' })
  poll?: Relation<Poll>;

  /** For meeting polls an ISO 8601 start time (or date), otherwise the option's label. */
  @Column({ name: 'name', type: 'varchar', length: 255 })
  name!: string;

  /** Display order, ascending. */
  @Column({ name: 'priority', type: 'integer', default: 0 })
  priority!: number;

  // Tallies below are derived from the stance choices by update-poll-counts.

  @Column({ name: 'voter_count', type: 'integer', default: 0 })
  voterCount!: number;

  @Column({ name: 'total_score', type: 'integer', default: 0 })
  totalScore!: number;

  @Column({ name: 'score_counts', type: 'jsonb', default: () => "'{}'" })
  scoreCounts!: ScoreCounts;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
