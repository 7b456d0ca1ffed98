import { Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import { Task } from './task.entity';
import { User } from './user.entity';

/** An assignee of a task (table `tasks_users`). */
@Entity({ name: 'tasks_users' })
@Index('UQ_tasks_users_task_id_user_id', ['taskId', 'userId'], { unique: true })
export class TaskUser {
  @IdPrimaryColumn()
  id!: number;

  @IdColumn('task_id')
  taskId!: number;

  @ManyToOne(() => Task, (task) => task.assignments, withoutForeignKey)
  @JoinColumn({ name: 'task_id' })
  task?: Relation<Task>;

  @Index('IDX_tasks_users_user_id')
  @IdColumn('user_id')
  userId!: number;

  @ManyToOne(() => User, withoutForeignKey)
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
