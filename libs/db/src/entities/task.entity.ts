import { Column, Entity, Index, JoinColumn, ManyToOne, OneToMany, type Relation } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  TimestampColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import type { RecordType } from './activity-event.entity';
import { TaskUser } from './task-user.entity';
import { User } from './user.entity';

/** A checklist item written in a rich-text field (discussion, comment, poll, outcome...). */
@Entity({ name: 'tasks' })
@Index('IDX_tasks_record', ['recordType', 'recordId'])
// send-task-reminders: due reminders are the few rows still waiting.
@Index('IDX_tasks_remind_at_pending', ['remindAt'], { where: '"reminded_at" IS NULL AND "done" = false' })
export class Task {
  @IdPrimaryColumn()
  id!: number;

  @Column({ name: 'record_type', type: 'varchar', length: 64, nullable: true })
  recordType!: RecordType | null;

  @IdColumn('record_id', { nullable: true })
  recordId!: number | null;

  @Index('IDX_tasks_author_id')
  @IdColumn('author_id')
  authorId!: number;

  @ManyToOne(() => User, withoutForeignKey)
  @JoinColumn({ name: 'author_id' })
  author?: Relation<User>;

  @OneToMany(() => TaskUser, (assignment) => assignment.task)
  assignments?: Relation<TaskUser>[];

  /** Identifies the task item inside the record's HTML. */
  @Column({ name: 'uid', type: 'integer' })
  uid!: number;

  @Column({ name: 'name', type: 'varchar', length: 255 })
  name!: string;

  @Column({ name: 'done', type: 'boolean', default: false })
  done!: boolean;

  @TimestampColumn('done_at')
  doneAt!: Date | null;

  @Column({ name: 'due_on', type: 'date', nullable: true })
  dueOn!: string | null;

  /** Days before due_on to remind the assignees. */
  @Column({ name: 'remind', type: 'integer', nullable: true })
  remind!: number | null;

  /** due_on at 06:00 in the author's zone minus `remind` days, computed when the task is saved. */
  @TimestampColumn('remind_at')
  remindAt!: Date | null;

  @TimestampColumn('reminded_at')
  remindedAt!: Date | null;

  @TimestampColumn('discarded_at')
  discardedAt!: Date | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
