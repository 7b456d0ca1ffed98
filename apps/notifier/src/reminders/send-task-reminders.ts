import type { DataSource } from 'typeorm';
import { enqueueEmails } from '../notifications/email-jobs';

export interface TaskReminderReport {
  reminded: number;
  emails: number;
}

/**
 * Reminds the active assignees of every task whose `remind_at` has passed, not done and not yet reminded,
 * each task in its own transaction that sets `reminded_at` with the mails: once per task, and a missed run
 * or a :30 zone still fires (Loomio matched the exact hour and mailed deactivated assignees).
 */
export class TaskReminders {
  constructor(
    private readonly dataSource: DataSource,
    private readonly batchSize = 500,
  ) {}

  async remindAll(now: Date, onProgress: () => void = () => undefined): Promise<TaskReminderReport> {
    const report: TaskReminderReport = { reminded: 0, emails: 0 };
    let afterId = 0;
    for (;;) {
      const tasks = (await this.dataSource.query(
        `SELECT id FROM tasks
         WHERE remind_at <= $1 AND reminded_at IS NULL AND done = false AND discarded_at IS NULL AND id > $2
         ORDER BY id LIMIT $3`,
        [now, afterId, this.batchSize],
      )) as { id: string }[];
      for (const task of tasks) {
        const emails = await this.remindOne(Number(task.id), now);
        if (emails === undefined) continue;
        report.reminded++;
        report.emails += emails;
      }
      onProgress();
      if (tasks.length < this.batchSize) return report;
      afterId = Number(tasks[tasks.length - 1].id);
    }
  }

  /** The number of mails queued, or undefined when another run took the task first. */
  private remindOne(taskId: number, now: Date): Promise<number | undefined> {
    return this.dataSource.transaction(async (manager) => {
      const [task] = (await manager.query(
        `SELECT id, remind_at FROM tasks
         WHERE id = $1 AND remind_at <= $2 AND reminded_at IS NULL AND done = false AND discarded_at IS NULL
         FOR UPDATE SKIP LOCKED`,
        [taskId, now],
      )) as { id: string; remind_at: Date }[];
      if (!task) return undefined;
      await manager.query(`UPDATE tasks SET reminded_at = $2 WHERE id = $1`, [taskId, now]);
      const assignees = (await manager.query(
        `SELECT tu.user_id FROM tasks_users tu JOIN users u ON u.id = tu.user_id AND u.deactivated_at IS NULL
         WHERE tu.task_id = $1 ORDER BY tu.user_id`,
        [taskId],
      )) as { user_id: string }[];
      await enqueueEmails(
        manager,
        assignees.map((assignee) => ({
          kind: 'task_reminder' as const,
          recipientId: Number(assignee.user_id),
          recordType: 'Task' as const,
          recordId: taskId,
          dedupeKey: `task_reminder:${taskId}:${assignee.user_id}:${task.remind_at.toISOString()}`,
        })),
      );
      return assignees.length;
    });
  }
}
