import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import { ActivityEvent } from './activity-event.entity';
import { User } from './user.entity';

/** An in-app notification. */
@Entity({ name: 'notifications' })
// The bell lists a user's newest notifications first.
@Index('IDX_notifications_user_id_id', ['userId', 'id'])
export class Notification {
  @IdPrimaryColumn()
  id!: number;

  @IdColumn('user_id')
  userId!: number;

  @ManyToOne(() => User, withoutForeignKey)
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  @Index('IDX_notifications_event_id')
  @IdColumn('event_id')
  eventId!: number;

  @ManyToOne(() => ActivityEvent, withoutForeignKey)
  @JoinColumn({ name: 'event_id' })
  event?: Relation<ActivityEvent>;

  @IdColumn('actor_id', { nullable: true })
  actorId!: number | null;

  @Column({ name: 'kind', type: 'varchar', length: 64 })
  kind!: string;

  @Column({ name: 'url', type: 'varchar', length: 2048, nullable: true })
  url!: string | null;

  /** Interpolations of the translated text, e.g. `{ "name": "Ana", "title": "Budget" }`; redaction rewrites names. */
  @Column({ name: 'translation_values', type: 'jsonb', default: () => "'{}'" })
  translationValues!: Record<string, string | number | null>;

  @Column({ name: 'viewed', type: 'boolean', default: false })
  viewed!: boolean;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
