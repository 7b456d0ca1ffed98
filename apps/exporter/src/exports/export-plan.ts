/*
 * What a group export contains: each table with the SQL condition (on alias `t`) that selects the rows of the
 * exported groups. `$1` is the array of exported group ids. Polls that are anonymous and still open are left
 * out, with everything hanging off them (options, stances, choices, outcomes, events, documents, attachments,
 * tasks), since their votes must not be tied to people before they close.
 *
 * Every batch runs its condition again (keyset pagination), so a condition must cost about the same for each
 * row whatever the size of the group. Inside an OR, `x IN (<all the group's comments>)` cannot become a join:
 * PostgreSQL hashes the whole set for every batch or, once the set outgrows work_mem, rescans it for every row
 * (the events of a 1M-row group never finished). So a record named by `record_type`/`record_id` (or
 * `eventable_*`) is checked with a correlated EXISTS, which at worst costs a few index lookups per row; `IN`
 * stays where it joins (top level) or names small sets (the groups' discussions and polls). Rows whose scope
 * is known only through a large set (stance choices, through stances) are read parent by parent.
 */

const Discussions = `SELECT id FROM discussions WHERE group_id = ANY($1)`;
const PollsOfGroups = `SELECT id, anonymous, closed_at FROM polls WHERE group_id = ANY($1) OR discussion_id IN (${Discussions})`;
const VisiblePolls = `SELECT id FROM (${PollsOfGroups}) p WHERE NOT (p.anonymous AND p.closed_at IS NULL)`;
const HiddenPolls = `SELECT id FROM (${PollsOfGroups}) p WHERE p.anonymous AND p.closed_at IS NULL`;

/** Poll `id` is one of the exported groups' polls that the export shows (or, `hidden`, leaves out). */
function pollInScope(id: string, which: 'visible' | 'hidden' = 'visible'): string {
  return `${id} IN (${which === 'visible' ? VisiblePolls : HiddenPolls})`;
}

/** Each kind of record another row may name, with the check that it belongs to the export (per row). */
function recordChecks(which: 'visible' | 'hidden'): Record<string, (id: string) => string> {
  const stance = (id: string) =>
    `EXISTS (SELECT 1 FROM stances s WHERE s.id = ${id} AND ${pollInScope('s.poll_id', which)})`;
  const outcome = (id: string) =>
    `EXISTS (SELECT 1 FROM outcomes o WHERE o.id = ${id} AND ${pollInScope('o.poll_id', which)})`;
  if (which === 'hidden')
    return { Poll: (id) => pollInScope(id, 'hidden'), Stance: stance, Outcome: outcome };
  return {
    Group: (id) => `${id} = ANY($1)`,
    Discussion: (id) => `${id} IN (${Discussions})`,
    Comment: (id) =>
      `EXISTS (SELECT 1 FROM comments c WHERE c.id = ${id} AND c.discussion_id IN (${Discussions}))`,
    Poll: (id) => pollInScope(id),
    Stance: stance,
    Outcome: outcome,
    Membership: (id) => `EXISTS (SELECT 1 FROM memberships m WHERE m.id = ${id} AND m.group_id = ANY($1))`,
  };
}

/** A `record_type`/`record_id` pair (or `eventable_*`) of the row aliased `row` naming an exported record. */
function recordInScope(type: string, id: string, row = 't'): string {
  const checks = Object.entries(recordChecks('visible'));
  return `(${checks.map(([kind, check]) => `(${row}.${type} = '${kind}' AND ${check(`${row}.${id}`)})`).join(' OR ')})`;
}

/** A record that hangs off an anonymous poll still open. */
function recordOfHiddenPoll(type: string, id: string): string {
  const checks = Object.entries(recordChecks('hidden'));
  return `(${checks.map(([kind, check]) => `(t.${type} = '${kind}' AND ${check(`t.${id}`)})`).join(' OR ')})`;
}

/** A table of the export and how its rows of the exported groups are found. */
export type ExportedTable =
  | {
      table: string;
      /** SQL condition on alias `t`; `$1` is the array of exported group ids. Rows are read by `id`. */
      where: string;
      parent?: undefined;
    }
  | {
      table: string;
      /**
       * Rows are read parent by parent: each batch takes the next `batchSize` rows of the parent table that
       * meet `where` (on alias `t`; keyset on their id), then every row whose `column` names one of them. For
       * rows in scope only through a large set of parents: read by their own id, PostgreSQL hashed that set and
       * sorted the remaining rows for each batch.
       */
      parent: { column: string; table: string; where: string };
      where?: undefined;
    };

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
  { table: 'polls', where: pollInScope('t.id') },
  { table: 'poll_options', where: pollInScope('t.poll_id') },
  { table: 'stances', where: pollInScope('t.poll_id') },
  {
    table: 'stance_choices',
    parent: { column: 'stance_id', table: 'stances', where: pollInScope('t.poll_id') },
  },
  { table: 'outcomes', where: pollInScope('t.poll_id') },
  {
    table: 'events',
    where: `(t.discussion_id IN (${Discussions}) OR ${recordInScope('eventable_type', 'eventable_id')})
      AND NOT ${recordOfHiddenPoll('eventable_type', 'eventable_id')}`,
  },
  { table: 'documents', where: recordInScope('record_type', 'record_id') },
  { table: 'attachments', where: `${recordInScope('record_type', 'record_id')} AND t.deleted_at IS NULL` },
  { table: 'tasks', where: recordInScope('record_type', 'record_id') },
  {
    table: 'tasks_users',
    where: `t.task_id IN (SELECT tk.id FROM tasks tk WHERE ${recordInScope('record_type', 'record_id', 'tk')})`,
  },
];
