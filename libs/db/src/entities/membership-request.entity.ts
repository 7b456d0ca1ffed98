import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  TimestampColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import { Group } from './group.entity';

export type MembershipRequestResponse = 'approved' | 'ignored';

/** A request to join a group; pending while `responded_at` is null. */
@Entity({ name: 'membership_requests' })
export class MembershipRequest {
  @IdPrimaryColumn()
  id!: number;

  @Index('IDX_membership_requests_group_id')
  @IdColumn('group_id')
  groupId!: number;

  @ManyToOne(() => Group, withoutForeignKey)
  @JoinColumn({ name: 'group_id' })
  group?: Relation<Group>;

  /** Null when someone without an account asked; then name and email say who. */
  @Index('IDX_membership_requests_requestor_id')
  @IdColumn('requestor_id', { nullable: true })
  requestorId!: number | null;

  @Column({ name: 'name', type: 'varchar', length: 255, nullable: true })
  name!: string | null;

  @Column({ name: 'email', type: 'varchar', length: 255, nullable: true })
  email!: string | null;

  @Column({ name: 'introduction', type: 'text', nullable: true })
  introduction!: string | null;

  @IdColumn('responder_id', { nullable: true })
  responderId!: number | null;

  @Column({ name: 'response', type: 'varchar', length: 32, nullable: true })
  response!: MembershipRequestResponse | null;

  @TimestampColumn('responded_at')
  respondedAt!: Date | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
