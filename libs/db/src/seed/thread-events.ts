import { ActivityEvent, Notification } from '../entities';
import { addMinutes } from './clock';
import { displayName, type Community, type DiscussionDraft, type ThreadItem } from './community';
import type { SeedContext } from './seed-context';

/** A notification worth a mail_deliveries row in the demo. */
export interface NotifiedRecipient {
  eventId: number;
  userId: number;
  kind: string;
  at: Date;
}

/**
 * Writes the events of a thread (`discussion` set; the first item is its root) or of a poll outside any
 * thread, with their tree shape and counts, then the in-app notifications they caused.
 */
export async function writeEvents(
  ctx: SeedContext,
  {
    discussion,
    items,
    community,
    notified = [],
    url,
  }: {
    discussion: DiscussionDraft | null;
    items: ThreadItem[];
    community: Community;
    notified?: NotifiedRecipient[];
    /** Where a notification about the item with this sequence id leads. */
    url: (sequenceId: number) => string;
  },
): Promise<void> {
  const root = discussion ? items[0] : undefined;
  const childCount = new Map<ThreadItem, number>();
  const descendantCount = new Map<ThreadItem, number>();
  const parentOf = new Map<ThreadItem, ThreadItem | undefined>();
  const positionOf = new Map<ThreadItem, number>();

  for (const item of items) {
    item.eventId = ctx.nextId(ActivityEvent);
    if (item === root) {
      item.depth = 0;
      continue;
    }
    let parent = item.parent ?? root;
    while (discussion && parent && (parent.depth ?? 0) >= discussion.maxDepth)
      parent = parentOf.get(parent) ?? root;
    item.depth = parent ? (parent.depth ?? 0) + 1 : 0;
    parentOf.set(item, parent);
    if (parent) {
      childCount.set(parent, (childCount.get(parent) ?? 0) + 1);
      positionOf.set(item, childCount.get(parent) ?? 0);
      for (let ancestor: ThreadItem | undefined = parent; ancestor; ancestor = parentOf.get(ancestor)) {
        descendantCount.set(ancestor, (descendantCount.get(ancestor) ?? 0) + 1);
      }
    }
  }

  const usersById = new Map(community.users.map((user) => [user.id, user]));
  for (const [index, item] of items.entries()) {
    const eventId = item.eventId ?? 0;
    await ctx.insert(ActivityEvent, {
      id: eventId,
      kind: item.kind,
      eventableType: item.eventableType,
      eventableId: item.eventableId,
      userId: item.actorId,
      discussionId: discussion?.id ?? null,
      sequenceId: discussion ? index : null,
      parentId: parentOf.get(item)?.eventId ?? null,
      depth: item.depth ?? 0,
      position: positionOf.get(item) ?? 0,
      childCount: childCount.get(item) ?? 0,
      descendantCount: descendantCount.get(item) ?? 0,
      customFields: {},
      recipientChatbotIds: item.recipientChatbotIds ?? [],
      createdAt: item.at,
      updatedAt: item.at,
    });
    const actor = item.actorId === null ? undefined : usersById.get(item.actorId);
    for (const userId of new Set(item.notify)) {
      const user = usersById.get(userId);
      const at = addMinutes(item.at, 1);
      await ctx.insert(Notification, {
        id: ctx.nextId(Notification),
        userId,
        eventId,
        actorId: item.actorId,
        kind: item.kind,
        url: url(index),
        translationValues: {
          name: actor ? displayName(actor) : null,
          title: discussion?.title ?? null,
        },
        viewed: ctx.random.chance(0.6),
        createdAt: at,
        updatedAt: at,
      });
      if (user?.email && ctx.random.chance(0.15)) notified.push({ eventId, userId, kind: item.kind, at });
    }
  }
}
