import type { DestroyableRecordTables } from '@lib/contracts';

/*
 * Who depends on whom, written down once. The schema has no foreign keys (the app's own schema has none
 * either), so this list is the only place that says which rows go when a record goes: the batch deleter walks
 * it children first, and the orphan sweep walks it parents first.
 */

/** Model names of the polymorphic `*_type` columns, per table. */
export const ModelOfTable: Readonly<Record<string, string>> = {
  groups: 'Group',
  discussions: 'Discussion',
  comments: 'Comment',
  polls: 'Poll',
  stances: 'Stance',
  outcomes: 'Outcome',
  memberships: 'Membership',
  users: 'User',
};

/** `child.column` holds the id of a `parent` row; with `typeColumn`, only where it names the parent's model. */
export interface Dependency {
  parent: string;
  child: string;
  column: string;
  typeColumn?: string;
}

const owned = (parent: string, child: string, column: string): Dependency => ({ parent, child, column });
const polymorphic = (parent: string, child: string, column: string, typeColumn: string): Dependency => ({
  parent,
  child,
  column,
  typeColumn,
});

/** The records attached to any model through `record_type/record_id`, `item_type/item_id`, ... */
function attachedTo(parent: string): Dependency[] {
  return [
    polymorphic(parent, 'events', 'eventable_id', 'eventable_type'),
    polymorphic(parent, 'documents', 'record_id', 'record_type'),
    polymorphic(parent, 'attachments', 'record_id', 'record_type'),
    polymorphic(parent, 'tasks', 'record_id', 'record_type'),
    polymorphic(parent, 'versions', 'item_id', 'item_type'),
  ];
}

export const Dependencies: readonly Dependency[] = [
  owned('groups', 'memberships', 'group_id'),
  owned('groups', 'membership_requests', 'group_id'),
  owned('groups', 'discussions', 'group_id'),
  owned('groups', 'polls', 'group_id'),
  owned('groups', 'chatbots', 'group_id'),
  owned('groups', 'documents', 'group_id'),
  owned('groups', 'attachments', 'group_id'),
  owned('groups', 'received_emails', 'group_id'),
  owned('groups', 'exports', 'group_id'),
  owned('groups', 'imports', 'group_id'),
  owned('groups', 'group_statistics', 'group_id'),
  owned('groups', 'tags', 'group_id'),
  owned('groups', 'search_documents', 'group_id'),
  ...attachedTo('groups'),

  owned('discussions', 'discussion_readers', 'discussion_id'),
  owned('discussions', 'comments', 'discussion_id'),
  owned('discussions', 'polls', 'discussion_id'),
  owned('discussions', 'events', 'discussion_id'),
  owned('discussions', 'search_documents', 'discussion_id'),
  ...attachedTo('discussions'),

  polymorphic('comments', 'search_documents', 'searchable_id', 'searchable_type'),
  ...attachedTo('comments'),

  owned('polls', 'poll_options', 'poll_id'),
  owned('polls', 'stances', 'poll_id'),
  owned('polls', 'outcomes', 'poll_id'),
  owned('polls', 'search_documents', 'poll_id'),
  ...attachedTo('polls'),

  owned('poll_options', 'stance_choices', 'poll_option_id'),
  owned('stances', 'stance_choices', 'stance_id'),
  ...attachedTo('stances'),
  ...attachedTo('outcomes'),
  ...attachedTo('memberships'),

  owned('events', 'notifications', 'event_id'),
  owned('events', 'chatbot_deliveries', 'event_id'),
  owned('chatbots', 'chatbot_deliveries', 'chatbot_id'),
  owned('tasks', 'tasks_users', 'task_id'),
];

/**
 * destroy-user: the rows that belong to a person and go with them — their memberships (with everything
 * attached to a membership), thread read states, own notifications, task assignments, identities, login
 * tokens, membership requests, and the audit versions of their record or written by them. What they wrote in
 * groups is not here: it stays, re-pointed at the tombstone (see user-destruction.ts).
 */
export const UserDependencies: readonly Dependency[] = [
  owned('users', 'memberships', 'user_id'),
  owned('users', 'discussion_readers', 'user_id'),
  owned('users', 'notifications', 'user_id'),
  owned('users', 'tasks_users', 'user_id'),
  owned('users', 'identities', 'user_id'),
  owned('users', 'login_tokens', 'user_id'),
  owned('users', 'membership_requests', 'requestor_id'),
  owned('users', 'versions', 'whodunnit'),
  polymorphic('users', 'versions', 'item_id', 'item_type'),
  ...Dependencies.filter((d) => reachableFrom('memberships').has(d.parent)),
];

/** Columns that point at another row without belonging to it (the outcome belongs to its poll, not to the option). */
export const References: readonly { table: string; column: string }[] = [
  { table: 'outcomes', column: 'poll_option_id' },
];

/** A record type the batch deleter can destroy; `selfParent` makes its sub-records (subgroups, replies) part of it. */
export interface DestroyRoot {
  table: string;
  selfParent?: string;
}

export const DestroyRoots = {
  group: { table: 'groups', selfParent: 'parent_id' },
  discussion: { table: 'discussions' },
  comment: { table: 'comments', selfParent: 'parent_id' },
  tag: { table: 'tags' },
  user: { table: 'users' },
} as const satisfies Record<string, DestroyRoot>;

/**
 * destroy-record: the tables a record may be destroyed from by name (the contract's allow-list), each with
 * how its sub-records nest. Groups are not here: they go through destroy-group's 14-day grace.
 */
export const DestroyableTables = {
  discussions: { table: 'discussions' },
  comments: { table: 'comments', selfParent: 'parent_id' },
  polls: { table: 'polls' },
  stances: { table: 'stances' },
  outcomes: { table: 'outcomes' },
  memberships: { table: 'memberships' },
  membership_requests: { table: 'membership_requests' },
  tasks: { table: 'tasks' },
  documents: { table: 'documents' },
  attachments: { table: 'attachments' },
  chatbots: { table: 'chatbots' },
  tags: { table: 'tags' },
  events: { table: 'events' },
  notifications: { table: 'notifications' },
} as const satisfies Record<(typeof DestroyableRecordTables)[number], DestroyRoot>;

/** Every table whose rows can depend, directly or not, on `table`, the table itself included. */
export function reachableFrom(
  table: string,
  dependencies: readonly Dependency[] = Dependencies,
): Set<string> {
  const reached = new Set([table]);
  for (let grew = true; grew;) {
    grew = false;
    for (const dependency of dependencies) {
      if (reached.has(dependency.parent) && !reached.has(dependency.child)) {
        reached.add(dependency.child);
        grew = true;
      }
    }
  }
  return reached;
}

/**
 * The tables under `root`, each after every table it depends on (parents first). Deleting in the reverse
 * order never leaves a row whose parent is already gone, so a crash between batches leaves a state from which
 * the same walk resumes.
 */
export function parentsFirst(root: string, dependencies: readonly Dependency[] = Dependencies): string[] {
  const tables = reachableFrom(root, dependencies);
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (table: string) => {
    if (order.includes(table)) return;
    if (visiting.has(table)) throw new Error(`dependency cycle through ${table}`);
    visiting.add(table);
    for (const dependency of dependencies) {
      if (dependency.child === table && tables.has(dependency.parent)) visit(dependency.parent);
    }
    visiting.delete(table);
    order.push(table);
  };
  for (const table of [...tables].sort()) visit(table);
  return order;
}

/** Every table of the graph, each after all of its parents: the order in which orphans are swept. */
export function allTablesParentsFirst(dependencies: readonly Dependency[] = Dependencies): string[] {
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (table: string) => {
    if (order.includes(table)) return;
    if (visiting.has(table)) throw new Error(`dependency cycle through ${table}`);
    visiting.add(table);
    for (const dependency of dependencies) if (dependency.child === table) visit(dependency.parent);
    visiting.delete(table);
    order.push(table);
  };
  for (const table of new Set(dependencies.flatMap((d) => [d.parent, d.child]))) visit(table);
  return order;
}

/** The dependencies leading into `table` from tables that are themselves under `root`. */
export function parentLinks(
  root: string,
  table: string,
  dependencies: readonly Dependency[] = Dependencies,
): Dependency[] {
  const tables = reachableFrom(root, dependencies);
  return dependencies.filter((d) => d.child === table && tables.has(d.parent));
}
