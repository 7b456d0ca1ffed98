import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Subjects } from '@lib/contracts';
import { Outbox } from '@lib/db';

export interface ActivityToFanOut {
  eventId: number;
  /** The `events.kind` chatbots subscribe to (new_discussion, poll_created, ...). */
  kind: string;
  groupId: number | null;
  /** The event's `recipient_chatbot_ids`: these get it whatever kinds they subscribe to. */
  recipientChatbotIds?: number[];
}

/**
 * Turns one activity into one `post-to-chatbot` job per chatbot that should hear of it, written to the
 * outbox in the caller's transaction: the posts exist if and only if the activity's own writes commit, and
 * a failing webhook retries alone without re-posting to the others.
 */
@Injectable()
export class ChatbotFanout {
  constructor(@Inject(Outbox) private readonly outbox: Outbox) {}

  /** Returns how many posts were enqueued. */
  async enqueue(manager: EntityManager, activity: ActivityToFanOut): Promise<number> {
    const chatbots = await chatbotsToNotify(manager, activity);
    for (const { id: chatbotId, url } of chatbots) {
      await this.outbox.publish(
        manager,
        Subjects.PostToChatbot,
        { chatbotId, eventId: activity.eventId, ...throttlingKeys(url) },
        // A second fan-out of the same activity (a redelivered domain event) is dropped by the stream.
        { msgId: `post-to-chatbot:${chatbotId}:${activity.eventId}` },
      );
    }
    return chatbots.length;
  }
}

/** The group's enabled chatbots subscribed to the kind or named by the event; a named chatbot of another group gets nothing. */
export async function chatbotsToNotify(
  manager: EntityManager,
  activity: ActivityToFanOut,
): Promise<{ id: number; url: string }[]> {
  if (activity.groupId === null) return [];
  const rows = (await manager.query(
    `SELECT id, url FROM chatbots
      WHERE group_id = $1 AND disabled_at IS NULL AND discarded_at IS NULL
        AND ($2 = ANY(event_kinds) OR id = ANY($3::bigint[]))
      ORDER BY id`,
    [activity.groupId, activity.kind, activity.recipientChatbotIds ?? []],
  )) as { id: string; url: string }[];
  return rows.map((row) => ({ id: Number(row.id), url: row.url }));
}

/**
 * The keys the runtime throttles posts by: 1/s per webhook URL, 2 in flight per host. The URL is hashed
 * because it carries the webhook's credentials; a malformed one is left to the post to refuse.
 */
export function throttlingKeys(url: string): { urlKey?: string; host?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return {};
  }
  const host = parsed.hostname.toLowerCase();
  return {
    urlKey: createHash('sha256').update(parsed.toString()).digest('hex').slice(0, 32),
    ...(/^[a-z0-9.:[\]_-]{1,253}$/.test(host) ? { host } : {}),
  };
}
