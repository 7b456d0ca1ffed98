import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import { Group } from './group.entity';

/** A group's tag; discussions and polls carry tag names in their `tags` arrays. */
@Entity({ name: 'tags' })
@Index('UQ_tags_group_id_name', ['groupId', 'name'], { unique: true })
export class Tag {
  @IdPrimaryColumn()
  id!: number;

  @IdColumn('group_id')
  groupId!: number;

  @ManyToOne(() => Group, withoutForeignKey)
  @JoinColumn({ name: 'group_id' })
  group?: Relation<Group>;

  @Column({ name: 'name', type: 'varchar', length: 255 })
  name!: string;

  /** CSS colour, e.g. #4caf50. */
  @Column({ name: 'color', type: 'varchar', length: 32, nullable: true })
  color!: string | null;

  /** Discussions and polls carrying the tag, recounted by update-tag. */
  @Column({ name: 'taggings_count', type: 'integer', default: 0 })
  taggingsCount!: number;

  @Column({ name: 'priority', type: 'integer', default: 0 })
  priority!: number;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
