import type { MailKind } from '@lib/contracts';
import { UnrecoverableError } from '@lib/jetstream';
import { loadDiscussion, loadPoll } from '../../notifications/activity-records';
import { formatDay, formatMoment, notFound, type MailKindDefinition } from '../mail-records';

type AccountKinds = Extract<MailKind, 'redaction_confirmation' | 'export_ready' | 'task_reminder'>;

export const AccountMailKinds: Record<AccountKinds, MailKindDefinition> = {
  /**
   * Goes out while the account is being erased, so after its deactivation; the janitor erases the address
   * once this mail's `mail_deliveries` row is final (sent, skipped or bounced).
   */
  redaction_confirmation: {
    recordType: 'User',
    mailsDeactivated: true,
    async load({ recordId, recipient }) {
      if (recordId !== recipient.id) {
        throw new UnrecoverableError(
          `An erasure confirmation for user ${recordId} cannot go to user ${recipient.id}`,
        );
      }
      return { found: true, data: {} };
    },
  },
  /** The link is the signed path the exporter built (`linkPath`), on the app's address. */
  export_ready: {
    recordType: 'Export',
    async load({ manager, recordId, recipient, locale, appUrl, payload }) {
      if (!payload.linkPath)
        throw new UnrecoverableError(`export_ready for export ${recordId} has no linkPath`);
      const [row] = (await manager.query(
        `SELECT e.requester_id, e.status, e.expires_at, g.name AS group_name
         FROM exports e LEFT JOIN groups g ON g.id = e.group_id WHERE e.id = $1`,
        [recordId],
      )) as { requester_id: string; status: string; expires_at: Date | null; group_name: string | null }[];
      if (!row) return notFound;
      if (Number(row.requester_id) !== recipient.id) {
        throw new UnrecoverableError(`Export ${recordId} was not requested by user ${recipient.id}`);
      }
      if (row.status !== 'completed') return { found: false, reason: 'export_not_completed' };
      if (row.expires_at && row.expires_at.getTime() <= Date.now())
        return { found: false, reason: 'export_expired' };
      return {
        found: true,
        data: {
          groupName: row.group_name ?? '',
          downloadUrl: `${appUrl}${payload.linkPath}`,
          expiresAt: row.expires_at ? formatMoment(row.expires_at, locale, recipient.timeZone) : '',
        },
      };
    },
  },
  task_reminder: {
    recordType: 'Task',
    async load({ manager, recordId, recipient, locale, appUrl }) {
      const [task] = (await manager.query(
        `SELECT t.name, t.due_on::text AS due_on, t.done, t.discarded_at, t.record_type, t.record_id,
                EXISTS (SELECT 1 FROM tasks_users tu WHERE tu.task_id = t.id AND tu.user_id = $2) AS assigned
         FROM tasks t WHERE t.id = $1`,
        [recordId, recipient.id],
      )) as {
        name: string;
        due_on: string | null;
        done: boolean;
        discarded_at: Date | null;
        record_type: string | null;
        record_id: string | null;
        assigned: boolean;
      }[];
      if (!task) return notFound;
      if (task.discarded_at) return { found: false, reason: 'record_discarded' };
      if (task.done) return { found: false, reason: 'task_done' };
      if (!task.assigned) return { found: false, reason: 'not_assigned' };
      let path = '/tasks';
      if (task.record_id !== null && task.record_type === 'Discussion') {
        path = (await loadDiscussion(manager, Number(task.record_id)))?.path ?? path;
      } else if (task.record_id !== null && task.record_type === 'Poll') {
        path = (await loadPoll(manager, Number(task.record_id)))?.path ?? path;
      }
      return {
        found: true,
        data: {
          taskName: task.name,
          dueOn: task.due_on ? formatDay(task.due_on, locale) : '',
          taskUrl: `${appUrl}${path}`,
        },
      };
    },
  },
};
