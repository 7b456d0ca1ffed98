import type { DataSource } from 'typeorm';
import type { PayloadOf, DeliverEmail } from '@lib/contracts';

type Row = Record<string, unknown>;

let serial = 0;

export interface UserOptions {
  name?: string;
  locale?: string;
  verified?: boolean;
  deactivated?: boolean;
  emailOnParticipation?: boolean;
  emailWhenMentioned?: boolean;
  timeZone?: string | null;
  catchUpDay?: number | null;
  lastCatchUpAt?: Date | null;
}

/** Builds the rows a notifier test needs with plain SQL, returning ids; reads back notifications and queued mails. */
export class NotifyWorld {
  constructor(private readonly db: DataSource) {}

  async insert(table: string, values: Row): Promise<number> {
    const columns = Object.keys(values);
    const [row] = (await this.db.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`,
      columns.map((column) => values[column]),
    )) as { id: string }[];
    return Number(row.id);
  }

  async user(options: UserOptions = {}): Promise<number> {
    serial++;
    return this.insert('users', {
      name: options.name ?? `Person ${serial}`,
      email: `person${serial}-${process.pid}-${Date.now()}@example.test`,
      locale: options.locale ?? 'en',
      email_verified: options.verified ?? true,
      deactivated_at: options.deactivated ? new Date() : null,
      email_on_participation: options.emailOnParticipation ?? false,
      email_when_mentioned: options.emailWhenMentioned ?? true,
      time_zone: options.timeZone ?? null,
      email_catch_up_day: options.catchUpDay ?? null,
      last_catch_up_at: options.lastCatchUpAt ?? null,
    });
  }

  async email(userId: number): Promise<string> {
    const [row] = (await this.db.query(`SELECT email FROM users WHERE id = $1`, [userId])) as {
      email: string;
    }[];
    return row.email;
  }

  group(name = `Group ${++serial}`): Promise<number> {
    return this.insert('groups', { name });
  }

  member(
    groupId: number,
    userId: number,
    options: {
      volume?: number | null;
      admin?: boolean;
      pending?: boolean;
      revoked?: boolean;
      inviterId?: number;
    } = {},
  ): Promise<number> {
    return this.insert('memberships', {
      group_id: groupId,
      user_id: userId,
      volume: options.volume ?? null,
      admin: options.admin ?? false,
      accepted_at: options.pending ? null : new Date(),
      revoked_at: options.revoked ? new Date() : null,
      inviter_id: options.inviterId ?? null,
      token: `token-${++serial}-${process.pid}`,
    });
  }

  /** A group whose members are the given users (accepted, default volume). */
  async groupOf(...userIds: number[]): Promise<number> {
    const groupId = await this.group();
    for (const userId of userIds) await this.member(groupId, userId);
    return groupId;
  }

  discussion(groupId: number | null, authorId: number, title = 'Where to meet'): Promise<number> {
    return this.insert('discussions', {
      group_id: groupId,
      author_id: authorId,
      key: `d${++serial}x${process.pid}`,
      title,
    });
  }

  reader(
    discussionId: number,
    userId: number,
    options: { volume?: number | null; guest?: boolean; lastReadAt?: Date | null } = {},
  ): Promise<number> {
    return this.insert('discussion_readers', {
      discussion_id: discussionId,
      user_id: userId,
      volume: options.volume ?? null,
      guest: options.guest ?? false,
      last_read_at: options.lastReadAt ?? null,
    });
  }

  comment(discussionId: number, authorId: number, parentId: number | null = null): Promise<number> {
    return this.insert('comments', {
      discussion_id: discussionId,
      author_id: authorId,
      parent_id: parentId,
      body: '',
    });
  }

  poll(options: {
    authorId: number;
    groupId?: number | null;
    discussionId?: number | null;
    pollType?: string;
    title?: string;
    closedAt?: Date | null;
  }): Promise<number> {
    return this.insert('polls', {
      author_id: options.authorId,
      group_id: options.groupId ?? null,
      discussion_id: options.discussionId ?? null,
      key: `p${++serial}x${process.pid}`,
      title: options.title ?? 'Lunch',
      poll_type: options.pollType ?? 'proposal',
      closing_at: new Date(Date.now() + 20 * 3600_000),
      closed_at: options.closedAt ?? null,
    });
  }

  stance(
    pollId: number,
    userId: number,
    options: { volume?: number | null; cast?: boolean } = {},
  ): Promise<number> {
    return this.insert('stances', {
      poll_id: pollId,
      participant_id: userId,
      volume: options.volume ?? null,
      cast_at: options.cast ? new Date() : null,
    });
  }

  option(pollId: number, name: string): Promise<number> {
    return this.insert('poll_options', { poll_id: pollId, name });
  }

  outcome(
    pollId: number,
    authorId: number,
    options: { reviewOn?: string | null; optionId?: number | null; summary?: string; location?: string } = {},
  ): Promise<number> {
    return this.insert('outcomes', {
      poll_id: pollId,
      author_id: authorId,
      statement: 'We decided',
      review_on: options.reviewOn ?? null,
      poll_option_id: options.optionId ?? null,
      event_summary: options.summary ?? null,
      event_location: options.location ?? null,
    });
  }

  /** An activity row, as the web app writes it; a thread item when `sequenceId` is given. */
  activity(
    kind: string,
    eventable: { type: string; id: number },
    options: {
      userId?: number | null;
      discussionId?: number | null;
      sequenceId?: number;
      createdAt?: Date;
    } = {},
  ): Promise<number> {
    return this.insert('events', {
      kind,
      eventable_type: eventable.type,
      eventable_id: eventable.id,
      user_id: options.userId ?? null,
      discussion_id: options.discussionId ?? null,
      sequence_id: options.sequenceId ?? null,
      created_at: options.createdAt ?? new Date(),
    });
  }

  /** `user_id -> kind` of the notifications of an activity. */
  async notifications(eventId: number): Promise<Map<number, string[]>> {
    const rows = (await this.db.query(
      `SELECT user_id, kind FROM notifications WHERE event_id = $1 ORDER BY user_id, id`,
      [eventId],
    )) as { user_id: string; kind: string }[];
    const byUser = new Map<number, string[]>();
    for (const row of rows)
      byUser.set(Number(row.user_id), [...(byUser.get(Number(row.user_id)) ?? []), row.kind]);
    return byUser;
  }

  /** The deliver-email jobs waiting in the outbox, optionally only those matching. */
  async queuedMails(
    filter: Partial<PayloadOf<typeof DeliverEmail>> = {},
  ): Promise<PayloadOf<typeof DeliverEmail>[]> {
    // Rows of one statement share created_at and have random uuids: the recipient makes the order stable.
    const rows = (await this.db.query(
      `SELECT payload FROM outbox_messages WHERE subject = 'jobs.notifier.deliver-email' ORDER BY created_at, (payload->>'recipientId')::bigint, id`,
    )) as { payload: PayloadOf<typeof DeliverEmail> }[];
    return rows
      .map((row) => row.payload)
      .filter((payload) =>
        Object.entries(filter).every(([key, value]) => (payload as Record<string, unknown>)[key] === value),
      );
  }
}

/** Sorted recipient ids of queued mails. */
export const recipientsOf = (mails: { recipientId: number }[]): number[] =>
  mails.map((mail) => mail.recipientId).sort((a, b) => a - b);

export const sorted = (ids: number[]): number[] => [...ids].sort((a, b) => a - b);
