import { DiscussionReader, type ReadRanges } from '../entities';
import type { Community, DiscussionDraft } from './community';
import type { SeedContext } from './seed-context';

/** Who read a discussion how far, including a guest invited to the thread alone and revoked readers. */
export async function seedReaders(
  ctx: SeedContext,
  community: Community,
  discussion: DiscussionDraft,
  lastSequenceId: number,
): Promise<void> {
  const { random } = ctx;
  const members = discussion.group.members.filter((member) => member.user.role !== 'redacted');
  const readers = random.sample(members, Math.ceil(members.length * (0.5 + random.next() * 0.4)));
  const memberIds = new Set(discussion.group.members.map((member) => member.user.id));
  // Now and then someone from outside the group is invited to this one thread.
  const guest = random.chance(0.25)
    ? community.users.find((user) => user.active && !memberIds.has(user.id))
    : undefined;
  const rows = [
    ...readers.map((member) => ({ user: member.user, guest: false })),
    ...(guest ? [{ user: guest, guest: true }] : []),
  ];
  for (const { user, guest: isGuest } of rows) {
    const lastReadAt = ctx.between(discussion.createdAt, user.deactivatedAt ?? ctx.now);
    const createdAt = discussion.createdAt;
    await ctx.insert(DiscussionReader, {
      id: ctx.nextId(DiscussionReader),
      discussionId: discussion.id,
      userId: user.id,
      volume: random.weighted([
        [null, 10],
        [0, 1],
        [1, 1],
        [2, 2],
        [3, 2],
      ] as const),
      lastReadAt,
      readRanges: readRanges(ctx, lastSequenceId),
      guest: isGuest,
      inviterId: isGuest ? discussion.author.id : null,
      revokedAt: user.role === 'deactivated' ? user.deactivatedAt : null,
      createdAt,
      updatedAt: lastReadAt,
    });
  }
}

/** What a reader has seen: a prefix of the thread, sometimes with a gap they skipped. */
function readRanges(ctx: SeedContext, lastSequenceId: number): ReadRanges {
  const { random } = ctx;
  if (lastSequenceId === 0 || random.chance(0.1)) return [];
  const readUpTo = random.int(1, lastSequenceId);
  if (readUpTo >= 4 && random.chance(0.3)) {
    const gapStart = random.int(2, readUpTo - 2);
    return [
      [1, gapStart - 1],
      [gapStart + 1, readUpTo],
    ];
  }
  return [[1, readUpTo]];
}
