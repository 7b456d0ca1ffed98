import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import {
  bigintArrayAsNumbers,
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import { Discussion } from './discussion.entity';
import { User } from './user.entity';

/** Model names used in the polymorphic `*_type` columns, as the web app writes them. */
export type RecordType =
  'Discussion' | 'Comment' | 'Poll' | 'Stance' | 'Outcome' | 'Group' | 'Membership' | 'User';

/**
 * A row of the `events` table: something that happened, and (when it belongs to a thread) an item of
 * the thread tree. Named ActivityEvent so it never gets confused with Node's global `Event`.
 *
 * Thread items carry `sequence_id` 1, 2, ... per discussion; the thread's root (`new_discussion`) has 0.
 * Sequence ids are never renumbered because discussion readers' `read_ranges` point at them.
 */
@Entity({ name: 'events' })
@Index('UQ_events_discussion_id_sequence_id', ['discussionId', 'sequenceId'], { unique: true })
@Index('IDX_events_eventable', ['eventableType', 'eventableId'])
export class ActivityEvent {
  @IdPrimaryColumn()
  id!: number;

  /** e.g. new_discussion, new_comment, poll_created, stance_created, outcome_created, poll_expired. */
  @Column({ name: 'kind', type: 'varchar', length: 64 })
  kind!: string;

  @Column({ name: 'eventable_type', type: 'varchar', length: 64, nullable: true })
  eventableType!: RecordType | null;

  @IdColumn('eventable_id', { nullable: true })
  eventableId!: number | null;

  /** The actor; scrubbed to NULL on the stance events of a closed anonymous poll. */
  @Index('IDX_events_user_id')
  @IdColumn('user_id', { nullable: true })
  userId!: number | null;

  @ManyToOne(() => User, withoutForeignKey)
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User> | null;

  @IdColumn('discussion_id', { nullable: true })
  discussionId!: number | null;

  @ManyToOne(() => Discussion, withoutForeignKey)
  @JoinColumn({ name: 'discussion_id' })
  discussion?: Relation<Discussion> | null;

  @Column({ name: 'sequence_id', type: 'integer', nullable: true })
  sequenceId!: number | null;

  @Index('IDX_events_parent_id')
  @IdColumn('parent_id', { nullable: true })
  parentId!: number | null;

  @ManyToOne(() => ActivityEvent, withoutForeignKey)
  @JoinColumn({ name: 'parent_id' })
  parent?: Relation<ActivityEvent> | null;

  @Column({ name: 'depth', type: 'integer', default: 0 })
  depth!: number;

  /** 1-based order among the parent's children. */
  @Column({ name: 'position', type: 'integer', default: 0 })
  position!: number;

  @Column({ name: 'child_count', type: 'integer', default: 0 })
  childCount!: number;

  @Column({ name: 'descendant_count', type: 'integer', default: 0 })
  descendantCount!: number;

  @Column({ name: 'custom_fields', type: 'jsonb', default: () => "'{}'" })
  customFields!: Record<string, unknown>;

  /** Chatbots that receive this event whatever kinds they subscribe to. */
  @Column({
    name: 'recipient_chatbot_ids',
    type: 'bigint',
    array: true,
    default: () => "'{}'",
    transformer: bigintArrayAsNumbers,
  })
  recipientChatbotIds!: number[];

  @Index('IDX_events_created_at')
  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
