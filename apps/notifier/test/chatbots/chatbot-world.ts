import type { DataSource } from 'typeorm';
import type { ChatbotKind } from '@lib/db';

type Row = Record<string, unknown>;

let serial = 0;

/** Builds the rows a chatbot test needs (group, people, thread, poll, events, chatbots) with plain SQL. */
export class ChatbotWorld {
  constructor(private readonly db: DataSource) {}

  private async insert(table: string, values: Row): Promise<number> {
    const columns = Object.keys(values);
    const [row] = (await this.db.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`,
      columns.map((column) => values[column]),
    )) as { id: string }[];
    return Number(row.id);
  }

  user(name: string): Promise<number> {
    serial++;
    return this.insert('users', {
      name,
      email: `${name.toLowerCase().replace(/\W/g, '')}${serial}@people.test`,
    });
  }

  group(name = 'Climate Circle'): Promise<number> {
    serial++;
    return this.insert('groups', { name, handle: `group-${process.pid}-${serial}` });
  }

  discussion(groupId: number, authorId: number, title = 'Budget 2027', discarded = false): Promise<number> {
    serial++;
    return this.insert('discussions', {
      group_id: groupId,
      author_id: authorId,
      title,
      key: `d${process.pid}x${serial}`,
      discarded_at: discarded ? new Date() : null,
    });
  }

  poll(
    groupId: number,
    authorId: number,
    options: { title?: string; anonymous?: boolean } = {},
  ): Promise<number> {
    serial++;
    return this.insert('polls', {
      group_id: groupId,
      author_id: authorId,
      title: options.title ?? 'Where do we meet?',
      key: `p${process.pid}x${serial}`,
      poll_type: 'proposal',
      anonymous: options.anonymous ?? false,
    });
  }

  stance(pollId: number, participantId: number): Promise<number> {
    return this.insert('stances', { poll_id: pollId, participant_id: participantId });
  }

  event(row: {
    kind: string;
    eventableType: string;
    eventableId: number;
    userId: number | null;
    discussionId?: number | null;
  }): Promise<number> {
    return this.insert('events', {
      kind: row.kind,
      eventable_type: row.eventableType,
      eventable_id: row.eventableId,
      user_id: row.userId,
      discussion_id: row.discussionId ?? null,
    });
  }

  chatbot(
    groupId: number,
    row: {
      kind: ChatbotKind;
      url: string;
      secret?: string | null;
      eventKinds?: string[];
      disabled?: boolean;
      discarded?: boolean;
      failureCount?: number;
    },
  ): Promise<number> {
    return this.insert('chatbots', {
      group_id: groupId,
      name: `${row.kind} bot`,
      kind: row.kind,
      url: row.url,
      secret: row.secret ?? null,
      event_kinds: row.eventKinds ?? ['new_discussion', 'poll_created'],
      disabled_at: row.disabled ? new Date() : null,
      discarded_at: row.discarded ? new Date() : null,
      failure_count: row.failureCount ?? 0,
    });
  }

  async chatbotState(id: number): Promise<{
    failure_count: number;
    last_error: string | null;
    last_failure_at: Date | null;
    disabled_at: Date | null;
  }> {
    const [row] = (await this.db.query(
      `SELECT failure_count, last_error, last_failure_at, disabled_at FROM chatbots WHERE id = $1`,
      [id],
    )) as {
      failure_count: number;
      last_error: string | null;
      last_failure_at: Date | null;
      disabled_at: Date | null;
    }[];
    return row;
  }

  async deliveries(chatbotId: number): Promise<{ event_id: string; status_code: number }[]> {
    return (await this.db.query(
      `SELECT event_id, status_code FROM chatbot_deliveries WHERE chatbot_id = $1 ORDER BY event_id`,
      [chatbotId],
    )) as { event_id: string; status_code: number }[];
  }
}
