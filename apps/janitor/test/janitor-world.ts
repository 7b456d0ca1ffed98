import type { DataSource } from 'typeorm';

type Row = Record<string, unknown>;

/** The ids a fixture created, per table. */
export type Created = Record<string, number[]>;

/** Builds janitor fixtures with plain SQL; every insert is recorded per table. */
export class JanitorWorld {
  readonly created: Created = {};

  constructor(private readonly db: DataSource) {}

  async insert(table: string, values: Row): Promise<number> {
    const columns = Object.keys(values);
    const [row] = (await this.db.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`,
      columns.map((column) => {
        const value = values[column];
        return value !== null &&
          typeof value === 'object' &&
          !(value instanceof Date) &&
          !Array.isArray(value)
          ? JSON.stringify(value)
          : value;
      }),
    )) as { id: string }[];
    const id = Number(row.id);
    (this.created[table] ??= []).push(id);
    return id;
  }

  user(values: Row = {}): Promise<number> {
    return this.insert('users', { email_verified: true, ...values });
  }

  /**
   * A group with a subgroup, each holding a row in every table that can depend on a group: threads with
   * replies, polls with votes and outcomes, activity with notifications, tasks, files, audit versions, ...
   * Returns what it created, users excluded (they outlive groups).
   */
  async groupTree(admin: number, member: number, threadsPerGroup = 2): Promise<Created> {
    const mine = new JanitorWorld(this.db);
    const parent = await mine.insert('groups', { name: 'Parent group' });
    const child = await mine.insert('groups', { name: 'Subgroup', parent_id: parent });
    for (const groupId of [parent, child]) {
      await mine.groupContent(groupId, admin, member, threadsPerGroup);
    }
    for (const [table, ids] of Object.entries(mine.created)) (this.created[table] ??= []).push(...ids);
    return mine.created;
  }

  private async groupContent(groupId: number, admin: number, member: number, threads: number): Promise<void> {
    const adminMembership = await this.insert('memberships', {
      group_id: groupId,
      user_id: admin,
      admin: true,
      accepted_at: new Date(),
    });
    await this.insert('memberships', { group_id: groupId, user_id: member, accepted_at: new Date() });
    await this.insert('membership_requests', { group_id: groupId, requestor_id: member });
    await this.insert('events', {
      kind: 'membership_created',
      eventable_type: 'Membership',
      eventable_id: adminMembership,
      user_id: admin,
    });
    await this.insert('versions', { item_type: 'Membership', item_id: adminMembership, event: 'create' });
    const chatbotId = await this.insert('chatbots', {
      group_id: groupId,
      name: 'bot',
      kind: 'json',
      url: 'https://example.org',
    });
    // Keyed by its parents, without an id of its own, so not recorded in `created`.
    await this.db.query(
      `INSERT INTO chatbot_deliveries (chatbot_id, event_id, status_code, delivered_at) VALUES ($1, $2, 200, now())`,
      [chatbotId, this.created.events.at(-1)],
    );
    await this.insert('received_emails', { group_id: groupId });
    await this.insert('exports', { group_id: groupId, requester_id: admin, format: 'jsonl' });
    await this.insert('imports', { group_id: groupId, author_id: admin });
    await this.insert('group_statistics', { group_id: groupId, week_starting: '2026-01-05' });
    await this.insert('tags', { group_id: groupId, name: `tag-${groupId}` });
    await this.insert('documents', {
      record_type: 'Group',
      record_id: groupId,
      author_id: admin,
      title: 'doc',
    });
    await this.insert('attachments', {
      record_type: 'Group',
      record_id: groupId,
      key: `group-${groupId}-${Math.random()}`,
      filename: 'a.pdf',
    });
    await this.insert('versions', { item_type: 'Group', item_id: groupId, event: 'update' });
    for (let i = 0; i < threads; i++) await this.thread(groupId, admin, member);
    // A poll straight in the group, outside any thread.
    await this.poll(groupId, null, admin, member);
  }

  private async thread(groupId: number, admin: number, member: number): Promise<void> {
    const discussionId = await this.insert('discussions', {
      group_id: groupId,
      author_id: admin,
      title: 'A thread',
      description: '<p>What next?</p>',
    });
    await this.insert('discussion_readers', { discussion_id: discussionId, user_id: member });
    const root = await this.activity(
      'new_discussion',
      'Discussion',
      discussionId,
      discussionId,
      admin,
      member,
    );
    await this.insert('search_documents', {
      searchable_type: 'Discussion',
      searchable_id: discussionId,
      group_id: groupId,
      discussion_id: discussionId,
    });
    await this.insert('versions', { item_type: 'Discussion', item_id: discussionId, event: 'update' });
    const taskId = await this.insert('tasks', {
      record_type: 'Discussion',
      record_id: discussionId,
      author_id: admin,
      uid: 1,
      name: 'do it',
    });
    await this.insert('tasks_users', { task_id: taskId, user_id: member });
    await this.insert('attachments', {
      record_type: 'Discussion',
      record_id: discussionId,
      key: `discussion-${discussionId}-${Math.random()}`,
      filename: 'b.png',
    });
    const comment = await this.insert('comments', {
      discussion_id: discussionId,
      author_id: member,
      body: 'hi',
    });
    const reply = await this.insert('comments', {
      discussion_id: discussionId,
      author_id: admin,
      parent_id: comment,
      body: 'hello',
    });
    for (const commentId of [comment, reply]) {
      await this.activity('new_comment', 'Comment', commentId, discussionId, member, admin, root);
      await this.insert('search_documents', {
        searchable_type: 'Comment',
        searchable_id: commentId,
        group_id: groupId,
        discussion_id: discussionId,
      });
      await this.insert('documents', {
        record_type: 'Comment',
        record_id: commentId,
        author_id: member,
        title: 'doc',
      });
    }
    await this.poll(groupId, discussionId, admin, member);
  }

  private async poll(groupId: number, discussionId: number | null, admin: number, member: number) {
    const pollId = await this.insert('polls', {
      group_id: groupId,
      discussion_id: discussionId,
      author_id: admin,
      title: 'A poll',
      poll_type: 'proposal',
    });
    const optionId = await this.insert('poll_options', { poll_id: pollId, name: 'yes' });
    const stanceId = await this.insert('stances', {
      poll_id: pollId,
      participant_id: member,
      cast_at: new Date(),
    });
    await this.insert('stance_choices', { stance_id: stanceId, poll_option_id: optionId });
    await this.activity('poll_created', 'Poll', pollId, discussionId, admin, member);
    await this.activity('stance_created', 'Stance', stanceId, null, member, admin);
    const outcomeId = await this.insert('outcomes', { poll_id: pollId, author_id: admin, statement: 'done' });
    await this.activity('outcome_created', 'Outcome', outcomeId, null, admin, member);
    await this.insert('search_documents', {
      searchable_type: 'Poll',
      searchable_id: pollId,
      group_id: groupId,
      discussion_id: discussionId,
      poll_id: pollId,
    });
    await this.insert('versions', { item_type: 'Stance', item_id: stanceId, event: 'create' });
  }

  private async activity(
    kind: string,
    type: string,
    id: number,
    discussionId: number | null,
    actor: number,
    notified: number,
    parentId: number | null = null,
  ): Promise<number> {
    const eventId = await this.insert('events', {
      kind,
      eventable_type: type,
      eventable_id: id,
      discussion_id: discussionId,
      user_id: actor,
      parent_id: parentId,
    });
    await this.insert('notifications', { user_id: notified, event_id: eventId, actor_id: actor, kind });
    return eventId;
  }

  /** Every id of every given table, sorted; for comparing a whole database against a fixture. */
  async idsByTable(tables: Iterable<string>): Promise<Created> {
    const result: Created = {};
    for (const table of tables) {
      if (table === 'chatbot_deliveries') continue;
      const rows = (await this.db.query(`SELECT id FROM ${table} ORDER BY id`)) as { id: string }[];
      result[table] = rows.map((row) => Number(row.id));
    }
    return result;
  }
}

export function sortedCopy(created: Created): Created {
  return Object.fromEntries(
    Object.entries(created)
      .map(([table, ids]) => [table, [...ids].sort((a, b) => a - b)] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}
