import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import { CreatedAtColumn, IdColumn, IdPrimaryColumn, withoutForeignKey } from './column-helpers';
import { Group } from './group.entity';

/** One group's activity in one week, written by group-statistics every Monday. */
@Entity({ name: 'group_statistics' })
@Index('UQ_group_statistics_group_id_week_starting', ['groupId', 'weekStarting'], { unique: true })
export class GroupStatistic {
  @IdPrimaryColumn()
  id!: number;

  @IdColumn('group_id')
  groupId!: number;

  @ManyToOne(() => Group, withoutForeignKey)
  @JoinColumn({ name: 'group_id' })
  group?: Relation<Group>;

  /** The Monday (UTC) the week starts on, 'YYYY-MM-DD'. */
  @Column({ name: 'week_starting', type: 'date' })
  weekStarting!: string;

  @Column({ name: 'members_count', type: 'integer', default: 0 })
  membersCount!: number;

  /** Members who wrote anything (comment, discussion, poll, vote) that week. */
  @Column({ name: 'active_members_count', type: 'integer', default: 0 })
  activeMembersCount!: number;

  @Column({ name: 'discussions_count', type: 'integer', default: 0 })
  discussionsCount!: number;

  @Column({ name: 'comments_count', type: 'integer', default: 0 })
  commentsCount!: number;

  @Column({ name: 'polls_count', type: 'integer', default: 0 })
  pollsCount!: number;

  @Column({ name: 'votes_count', type: 'integer', default: 0 })
  votesCount!: number;

  @CreatedAtColumn()
  createdAt!: Date;
}
