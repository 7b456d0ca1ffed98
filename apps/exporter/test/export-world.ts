import type { DataSource } from 'typeorm';

type Row = Record<string, unknown>;

let serial = 0;

/** A value that must never appear in an export; the tests grep the file for the marker. */
export const SecretMarker = 'SECRET-VALUE';

/** Builds the rows an exporter test needs, with plain SQL, returning ids. */
export class ExportWorld {
  constructor(private readonly db: DataSource) {}

  async insert(table: string, values: Row): Promise<number> {
    const columns = Object.keys(values);
    const [row] = (await this.db.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`,
      columns.map((column) => values[column]),
    )) as { id: string }[];
    return Number(row.id);
  }

  /** A user whose every secret column holds the secret marker. */
  user(name = `User ${++serial}`): Promise<number> {
    const n = ++serial;
    return this.insert('users', {
      name,
      email: `user${n}-${process.pid}@example.test`,
      email_verified: true,
      api_key: `${SecretMarker}-api-${n}`,
      email_api_key: `${SecretMarker}-email-api-${n}`,
      secret_token: `${SecretMarker}-secret-${n}`,
      unsubscribe_token: `${SecretMarker}-unsubscribe-${n}`,
      authentication_token: `${SecretMarker}-auth-${n}`,
      remember_token: `${SecretMarker}-remember-${n}`,
      encrypted_password: `${SecretMarker}-password-${n}`,
      reset_password_token: `${SecretMarker}-reset-${n}`,
      reset_password_sent_at: new Date('2001-02-03T04:05:06Z'),
      current_sign_in_ip: '203.0.113.77',
      last_sign_in_ip: '203.0.113.78',
    });
  }

  group(parentId: number | null = null, name = `Group ${++serial}`): Promise<number> {
    return this.insert('groups', { name, parent_id: parentId, token: `${SecretMarker}-group-${++serial}` });
  }

  member(groupId: number, userId: number, admin = false): Promise<number> {
    return this.insert('memberships', {
      group_id: groupId,
      user_id: userId,
      admin,
      accepted_at: new Date(),
      token: `${SecretMarker}-membership-${++serial}`,
    });
  }

  discussion(groupId: number, authorId: number, title = 'A thread'): Promise<number> {
    return this.insert('discussions', { group_id: groupId, author_id: authorId, title });
  }

  comment(discussionId: number, authorId: number, body = 'A comment'): Promise<number> {
    return this.insert('comments', { discussion_id: discussionId, author_id: authorId, body });
  }

  poll(values: {
    groupId: number;
    authorId: number;
    discussionId?: number | null;
    anonymous?: boolean;
    closed?: boolean;
  }): Promise<number> {
    return this.insert('polls', {
      group_id: values.groupId,
      discussion_id: values.discussionId ?? null,
      author_id: values.authorId,
      title: 'A poll',
      poll_type: 'proposal',
      anonymous: values.anonymous ?? false,
      closing_at: new Date(Date.now() + (values.closed ? -1 : 1) * 3600_000),
      closed_at: values.closed ? new Date() : null,
    });
  }

  /** A poll with an option, a stance and its choice, an outcome, and an event for each. */
  async pollWithVotes(values: {
    groupId: number;
    authorId: number;
    voterId: number;
    discussionId?: number;
    anonymous?: boolean;
    closed?: boolean;
  }): Promise<Record<string, number>> {
    const poll = await this.poll(values);
    const option = await this.insert('poll_options', { poll_id: poll, name: 'Yes' });
    const stance = await this.insert('stances', {
      poll_id: poll,
      participant_id: values.voterId,
      cast_at: new Date(),
      reason: 'Because',
    });
    const choice = await this.insert('stance_choices', { stance_id: stance, poll_option_id: option });
    const outcome = await this.insert('outcomes', {
      poll_id: poll,
      author_id: values.authorId,
      statement: 'Done',
    });
    const pollEvent = await this.event('poll_created', 'Poll', poll, values.authorId, values.discussionId);
    const stanceEvent = await this.event(
      'stance_created',
      'Stance',
      stance,
      values.voterId,
      values.discussionId,
    );
    const task = await this.insert('tasks', {
      record_type: 'Poll',
      record_id: poll,
      author_id: values.authorId,
      uid: ++serial,
      name: 'Follow up',
    });
    const attachment = await this.insert('attachments', {
      record_type: 'Stance',
      record_id: stance,
      group_id: values.groupId,
      key: `${SecretMarker}-attachment-${++serial}`,
      filename: 'vote.pdf',
    });
    return { poll, option, stance, choice, outcome, pollEvent, stanceEvent, task, attachment };
  }

  event(kind: string, type: string, id: number, userId: number, discussionId?: number): Promise<number> {
    return this.insert('events', {
      kind,
      eventable_type: type,
      eventable_id: id,
      user_id: userId,
      discussion_id: discussionId ?? null,
    });
  }

  chatbot(groupId: number): Promise<number> {
    return this.insert('chatbots', {
      group_id: groupId,
      name: 'Team chat',
      kind: 'slack',
      url: `https://hooks.example.test/${SecretMarker}-webhook`,
      secret: `${SecretMarker}-chatbot`,
    });
  }

  async outbox(subject: string): Promise<Record<string, unknown>[]> {
    const rows = (await this.db.query(
      `SELECT payload FROM outbox_messages WHERE subject = $1 ORDER BY created_at`,
      [subject],
    )) as { payload: Record<string, unknown> }[];
    return rows.map((row) => row.payload);
  }

  async exportRow(where: string, params: unknown[]): Promise<Record<string, any> | undefined> {
    const [row] = (await this.db.query(`SELECT * FROM exports WHERE ${where}`, params)) as Record<
      string,
      any
    >[];
    return row;
  }
}

/** Parses a JSONL export into table -> ids, checking every line's shape. */
export function idsByTable(jsonl: string): Map<string, number[]> {
  const tables = new Map<string, number[]>();
  for (const line of jsonl.split('\n')) {
    if (line === '') continue;
    const parsed = JSON.parse(line) as { table: string; record: { id: number } };
    expect(Object.keys(parsed)).toEqual(['table', 'record']);
    tables.set(parsed.table, [...(tables.get(parsed.table) ?? []), parsed.record.id]);
  }
  return tables;
}
