import { Check, Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  TimestampColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import { Group } from './group.entity';
import { User } from './user.entity';

/** 0 mute, 1 quiet (in-app only), 2 normal, 3 loud (also e-mail on every reply). */
export type Volume = 0 | 1 | 2 | 3;
export const VOLUME_MUTE = 0;
export const VOLUME_QUIET = 1;
export const VOLUME_NORMAL = 2;
export const VOLUME_LOUD = 3;

@Entity({ name: 'memberships' })
@Check('CHK_memberships_volume', '"volume" BETWEEN 0 AND 3')
@Index('UQ_memberships_group_id_user_id', ['groupId', 'userId'], { unique: true })
export class Membership {
  @IdPrimaryColumn()
  id!: number;

  @IdColumn('group_id')
  groupId!: number;

  @ManyToOne(() => Group, (group) => group.memberships, withoutForeignKey)
  @JoinColumn({ name: 'group_id' })
  group?: Relation<Group>;

  @Index('IDX_memberships_user_id')
  @IdColumn('user_id')
  userId!: number;

  @ManyToOne(() => User, withoutForeignKey)
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  @IdColumn('inviter_id', { nullable: true })
  inviterId!: number | null;

  @Column({ name: 'admin', type: 'boolean', default: false })
  admin!: boolean;

  /** Null inherits: the effective volume is the first non-null of stance, reader, membership, else normal. */
  @Column({ name: 'volume', type: 'smallint', nullable: true })
  volume!: Volume | null;

  /** Null while the invitation is pending. */
  @TimestampColumn('accepted_at')
  acceptedAt!: Date | null;

  /** Reactivation restores exactly the rows whose revoked_at equals the user's deactivated_at. */
  @TimestampColumn('revoked_at')
  revokedAt!: Date | null;

  /** Invitation token: a secret, never exported. */
  @Index('UQ_memberships_token', { unique: true })
  @Column({ name: 'token', type: 'varchar', length: 255, nullable: true })
  token!: string | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
