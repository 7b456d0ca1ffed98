import { Column, Entity, Index, JoinColumn, ManyToOne, OneToMany, type Relation } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  TimestampColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import { Membership } from './membership.entity';

export type SubscriptionPlan = 'free' | 'trial' | 'standard' | 'pro';

@Entity({ name: 'groups' })
// check-subscriptions looks for paid plans that ended and were not yet marked expired.
@Index('IDX_groups_subscription_expires_at_unmarked', ['subscriptionExpiresAt'], {
  where: '"subscription_expired_at" IS NULL AND "subscription_expires_at" IS NOT NULL',
})
export class Group {
  @IdPrimaryColumn()
  id!: number;

  @Column({ name: 'name', type: 'varchar', length: 255 })
  name!: string;

  /** URL handle, unique across all groups. */
  @Index('UQ_groups_handle', { unique: true })
  @Column({ name: 'handle', type: 'varchar', length: 255, nullable: true })
  handle!: string | null;

  /** Set on subgroups only. */
  @Index('IDX_groups_parent_id')
  @IdColumn('parent_id', { nullable: true })
  parentId!: number | null;

  @ManyToOne(() => Group, (group) => group.subgroups, withoutForeignKey)
  @JoinColumn({ name: 'parent_id' })
  parent?: Relation<Group> | null;

  @OneToMany(() => Group, (group) => group.parent)
  subgroups?: Relation<Group>[];

  @OneToMany(() => Membership, (membership) => membership.group)
  memberships?: Relation<Membership>[];

  @IdColumn('creator_id', { nullable: true })
  creatorId!: number | null;

  /** Rich text (HTML). */
  @Column({ name: 'description', type: 'text', nullable: true })
  description!: string | null;

  @Column({ name: 'description_format', type: 'varchar', length: 10, default: 'html' })
  descriptionFormat!: 'html' | 'md';

  /** Members of the parent group may read this subgroup's discussions. */
  @Column({ name: 'parent_members_can_see_discussions', type: 'boolean', default: false })
  parentMembersCanSeeDiscussions!: boolean;

  /** Archived groups are hidden, and hard-deleted by destroy-group 14 days later unless un-archived. */
  @TimestampColumn('archived_at')
  archivedAt!: Date | null;

  /** Invitation-link token: a secret, never exported. */
  @Index('UQ_groups_token', { unique: true })
  @Column({ name: 'token', type: 'varchar', length: 255, nullable: true })
  token!: string | null;

  @Column({ name: 'subscription_plan', type: 'varchar', length: 32, default: 'free' })
  subscriptionPlan!: SubscriptionPlan;

  /** End of the paid period; null for plans that do not expire. */
  @TimestampColumn('subscription_expires_at')
  subscriptionExpiresAt!: Date | null;

  /** When check-subscriptions marked the plan expired and mailed the admins, so that happens once. */
  @TimestampColumn('subscription_expired_at')
  subscriptionExpiredAt!: Date | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
