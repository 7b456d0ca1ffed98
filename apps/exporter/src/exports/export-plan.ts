/*
 * What a group export contains: each table with the SQL condition (on alias `t`) that selects the rows of the
 * exported groups. `$1` is the array of exported group ids. Polls that are anonymous and still open are left
 * out, with everything hanging off them (options, stances, choices, outcomes, events, documents, attachments,
 * tasks), since their votes must not be tied to people before they close.
 */

const Discussions = `SELECT id FROM discussions WHERE group_id = ANY($1)`;
const Comments = `SELECT id FROM comments WHERE discussion_id IN (${Discussions})`;
const PollsOfGroups = `SELECT id, anonymous, closed_at FROM polls WHERE group_id = ANY($1) OR discussion_id IN (${Discussions})`;
const VisiblePolls = `SELECT id FROM (${PollsOfGroups}) p WHERE NOT (p.anonymous AND p.closed_at IS NULL)`;
const HiddenPolls = `SELECT id FROM (${PollsOfGroups}) p WHERE p.anonymous AND p.closed_at IS NULL`;
const Stances = `SELECT id FROM stances WHERE poll_id IN (${VisiblePolls})`;
const Outcomes = `SELECT id FROM outcomes WHERE poll_id IN (${VisiblePolls})`;
const Memberships = `SELECT id FROM memberships WHERE group_id = ANY($1)`;

/** A `record_type`/`record_id` pair (or `eventable_*`) naming an exported record. */
function recordInScope(type: string, id: string): string {
  return `(
    (t.${type} = 'Group' AND t.${id} = ANY($1))
    OR (t.${type} = 'Discussion' AND t.${id} IN (${Discussions}))
    OR (t.${type} = 'Comment' AND t.${id} IN (${Comments}))
    OR (t.${type} = 'Poll' AND t.${id} IN (${VisiblePolls}))
    OR (t.${type} = 'Stance' AND t.${id} IN (${Stances}))
    OR (t.${type} = 'Outcome' AND t.${id} IN (${Outcomes}))
    OR (t.${type} = 'Membership' AND t.${id} IN (${Memberships}))
  )`;
}

/** A record that hangs off an anonymous poll still open. */
function recordOfHiddenPoll(type: string, id: string): string {
  return `(
    (t.${type} = 'Poll' AND t.${id} IN (${HiddenPolls}))
    OR (t.${type} = 'Stance' AND t.${id} IN (SELECT id FROM stances WHERE poll_id IN (${HiddenPolls})))
    OR (t.${type} = 'Outcome' AND t.${id} IN (SELECT id FROM outcomes WHERE poll_id IN (${HiddenPolls})))
  )`;
}

const Tasks = `SELECT id FROM tasks t WHERE ${recordInScope('record_type', 'record_id')}`;

export interface ExportedTable {
  table: string;
  /** SQL condition on alias `t`; `$1` is the array of exported group ids. */
  where: string;
}

/** In dependency order, so a reader can rebuild the groups table by table. */
export const ExportPlan: readonly ExportedTable[] = [
  { table: 'groups', where: `t.id = ANY($1)` },
  { table: 'users', where: `t.id IN (SELECT user_id FROM memberships WHERE group_id = ANY($1))` },
  { table: 'memberships', where: `t.group_id = ANY($1)` },
  { table: 'membership_requests', where: `t.group_id = ANY($1)` },
  { table: 'tags', where: `t.group_id = ANY($1)` },
  { table: 'chatbots', where: `t.group_id = ANY($1)` },
  { table: 'group_statistics', where: `t.group_id = ANY($1)` },
  { table: 'discussions', where: `t.group_id = ANY($1)` },
  { table: 'discussion_readers', where: `t.discussion_id IN (${Discussions})` },
  { table: 'comments', where: `t.discussion_id IN (${Discussions})` },
  { table: 'polls', where: `t.id IN (${VisiblePolls})` },
  { table: 'poll_options', where: `t.poll_id IN (${VisiblePolls})` },
  { table: 'stances', where: `t.poll_id IN (${VisiblePolls})` },
  { table: 'stance_choices', where: `t.stance_id IN (${Stances})` },
  { table: 'outcomes', where: `t.poll_id IN (${VisiblePolls})` },
  {
    table: 'events',
    where: `(${recordInScope('eventable_type', 'eventable_id')} OR t.discussion_id IN (${Discussions}))
      AND NOT ${recordOfHiddenPoll('eventable_type', 'eventable_id')}`,
  },
  { table: 'documents', where: recordInScope('record_type', 'record_id') },
  { table: 'attachments', where: `${recordInScope('record_type', 'record_id')} AND t.deleted_at IS NULL` },
  { table: 'tasks', where: recordInScope('record_type', 'record_id') },
  { table: 'tasks_users', where: `t.task_id IN (${Tasks})` },
];
