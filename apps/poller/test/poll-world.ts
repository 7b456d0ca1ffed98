import type { DataSource } from 'typeorm';

type Row = Record<string, unknown>;

/** Builds just the rows a poller test needs, with plain SQL, returning ids. */
export class PollWorld {
  constructor(private readonly db: DataSource) {}

  private async insert(table: string, values: Row): Promise<number> {
    const columns = Object.keys(values);
    const [row] = (await this.db.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`,
      columns.map((column) => values[column]),
    )) as { id: string }[];
    return Number(row.id);
  }

  user(options: { deactivated?: boolean } = {}): Promise<number> {
    return this.insert('users', {
      deactivated_at: options.deactivated ? new Date() : null,
      email_verified: true,
    });
  }

  group(): Promise<number> {
    return this.insert('groups', { name: 'A group' });
  }

  membership(groupId: number, userId: number, volume: number | null = null): Promise<number> {
    return this.insert('memberships', {
      group_id: groupId,
      user_id: userId,
      volume,
      accepted_at: new Date(),
    });
  }

  discussion(groupId: number, authorId: number): Promise<number> {
    return this.insert('discussions', { group_id: groupId, author_id: authorId, title: 'A thread' });
  }

  reader(discussionId: number, userId: number, volume: number | null = null): Promise<number> {
    return this.insert('discussion_readers', { discussion_id: discussionId, user_id: userId, volume });
  }

  poll(values: {
    authorId: number;
    groupId?: number | null;
    discussionId?: number | null;
    closingAt: Date;
    notify?: number;
    anonymous?: boolean;
    hideResults?: 'off' | 'until_vote' | 'until_closed';
    closedAt?: Date | null;
  }): Promise<number> {
    return this.insert('polls', {
      author_id: values.authorId,
      group_id: values.groupId ?? null,
      discussion_id: values.discussionId ?? null,
      title: 'A poll',
      poll_type: 'proposal',
      closing_at: values.closingAt,
      closed_at: values.closedAt ?? null,
      notify_on_closing_soon: values.notify ?? 0,
      anonymous: values.anonymous ?? false,
      hide_results: values.hideResults ?? 'off',
    });
  }

  option(pollId: number, name: string): Promise<number> {
    return this.insert('poll_options', { poll_id: pollId, name });
  }

  stance(values: {
    pollId: number;
    userId: number;
    cast?: boolean;
    volume?: number | null;
    revoked?: boolean;
    latest?: boolean;
  }): Promise<number> {
    return this.insert('stances', {
      poll_id: values.pollId,
      participant_id: values.userId,
      cast_at: values.cast ? new Date() : null,
      volume: values.volume ?? null,
      revoked_at: values.revoked ? new Date() : null,
      latest: values.latest ?? true,
    });
  }

  choice(stanceId: number, optionId: number, score = 1): Promise<number> {
    return this.insert('stance_choices', { stance_id: stanceId, poll_option_id: optionId, score });
  }

  event(values: {
    kind: string;
    eventableType: string;
    eventableId: number;
    userId: number | null;
    discussionId?: number | null;
    sequenceId?: number | null;
  }): Promise<number> {
    return this.insert('events', {
      kind: values.kind,
      eventable_type: values.eventableType,
      eventable_id: values.eventableId,
      user_id: values.userId,
      discussion_id: values.discussionId ?? null,
      sequence_id: values.sequenceId ?? null,
    });
  }

  async outbox(subject: string): Promise<{ payload: Record<string, unknown> }[]> {
    return (await this.db.query(
      `SELECT payload FROM outbox_messages WHERE subject = $1 ORDER BY created_at`,
      [subject],
    )) as { payload: Record<string, unknown> }[];
  }
}
