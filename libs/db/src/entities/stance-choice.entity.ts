import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import { CreatedAtColumn, IdColumn, IdPrimaryColumn, withoutForeignKey } from './column-helpers';
import { PollOption } from './poll-option.entity';
import { Stance } from './stance.entity';

/** One option a stance chose, with its score (1 for simple polls; rank, dots or score otherwise). */
@Entity({ name: 'stance_choices' })
export class StanceChoice {
  @IdPrimaryColumn()
  id!: number;

  @Index('IDX_stance_choices_stance_id')
  @IdColumn('stance_id')
  stanceId!: number;

  @ManyToOne(() => Stance, (stance) => stance.choices, withoutForeignKey)
  @JoinColumn({ name: 'stance_id' })
  stance?: Relation<Stance>;

  @Index('IDX_stance_choices_poll_option_id')
  @IdColumn('poll_option_id')
  pollOptionId!: number;

  @ManyToOne(() => PollOption, withoutForeignKey)
  @JoinColumn({ name: 'poll_option_id' })
  pollOption?: Relation<PollOption>;

  @Column({ name: 'score', type: 'integer', default: 1 })
  score!: number;

  @CreatedAtColumn()
  createdAt!: Date;
}
