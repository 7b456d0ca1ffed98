import { Comment, Discussion, SearchDocument, Version } from '../entities';
import { addDays, addMinutes } from './clock';
import {
  activeMembers,
  displayName,
  type Community,
  type DiscussionDraft,
  type SeedGroup,
  type SeedUser,
  type ThreadItem,
} from './community';
import { pollPlans, pollTimes } from './poll-plans';
import { threadSearchDocument, writePollSearchDocument } from './search-documents';
import type { SeedContext } from './seed-context';
import { pollAuthor, seedPoll } from './seed-polls';
import { seedReaders } from './seed-readers';
import { needsGuaranteedTasks, seedTask } from './seed-tasks';
import { writeEvents, type NotifiedRecipient } from './thread-events';
import { COMMENT_HEADINGS, DISCUSSION_OPENERS, SENTENCES } from './vocabulary';

/** Discussions with their comments and polls, all of it numbered into threads, read and notified. */
export async function seedThreads(ctx: SeedContext, community: Community): Promise<NotifiedRecipient[]> {
  const notified: NotifiedRecipient[] = [];
  const discussions = community.groups.flatMap((group) =>
    Array.from({ length: group.parentId === null ? 4 : 2 }, () => draftDiscussion(ctx, community, group)),
  );

  for (const plan of pollPlans(ctx)) {
    const times = pollTimes(ctx, plan);
    const group = ctx.random.pick(
      community.groups.filter((candidate) => !(times.closedAt === null && candidate.archived)),
    );
    // A poll sits in a thread that was open, and not thrown away, all the while the poll was.
    const threads = discussions.filter(
      (candidate) =>
        candidate.group === group &&
        !candidate.discardedAt &&
        candidate.createdAt < times.createdAt &&
        (!candidate.closedAt || (times.closedAt !== null && candidate.closedAt > times.closedAt)),
    );
    const discussion = threads.length > 0 && ctx.random.chance(0.6) ? ctx.random.pick(threads) : undefined;
    const tags = ctx.random.sample(group.template.tags, ctx.random.int(0, 1));
    countTags(community, group, tags);
    const poll = await seedPoll(ctx, plan, times, {
      group,
      author: pollAuthor(ctx, group, times.createdAt, community.organiser),
      discussionId: discussion?.id ?? null,
      title: `Decide on ${ctx.random.pick(group.template.topics)}`,
      tags,
      chatbotIds: community.enabledChatbots
        .filter((chatbot) => chatbot.groupId === group.topGroupId)
        .map((chatbot) => chatbot.id),
    });
    if (discussion) {
      discussion.items.push(...poll.items);
    } else {
      await writeEvents(ctx, { discussion: null, items: poll.items, community, url: () => `/p/${poll.key}` });
    }
    await writePollSearchDocument(ctx, poll);
  }

  for (const discussion of discussions) {
    await seedComments(ctx, community, discussion);
    const lastSequenceId = await writeThread(ctx, community, discussion, notified);
    await seedReaders(ctx, community, discussion, lastSequenceId);
  }
  return notified;
}

function draftDiscussion(ctx: SeedContext, community: Community, group: SeedGroup): DiscussionDraft {
  const { random } = ctx;
  const candidates = activeMembers(group);
  const author = candidates.length > 0 ? random.pick(candidates).user : community.organiser;
  // Threads are at least eight days old, so every poll of the demo can sit in one.
  const createdAt = ctx.between(ctx.daysAgo(120), ctx.daysAgo(8));
  const closed = random.chance(0.1);
  const tags = random.sample(group.template.tags, random.int(0, 2));
  countTags(community, group, tags);
  return {
    id: ctx.nextId(Discussion),
    key: random.key(8),
    group,
    author,
    title: `${random.pick(DISCUSSION_OPENERS)} ${random.pick(group.template.topics)}`,
    tags,
    createdAt,
    closedAt: closed ? ctx.between(addDays(createdAt, 3), ctx.daysAgo(1)) : null,
    discardedAt: !closed && random.chance(0.05) ? ctx.daysAgo(random.int(1, 5)) : null,
    maxDepth: random.weighted([
      [2, 7],
      [3, 3],
    ] as const),
    items: [],
  };
}

function countTags(community: Community, group: SeedGroup, tags: string[]): void {
  let counts = community.tagUse.get(group.topGroupId);
  if (!counts) community.tagUse.set(group.topGroupId, (counts = new Map()));
  for (const tag of tags) counts.set(tag, (counts.get(tag) ?? 0) + 1);
}

async function seedComments(
  ctx: SeedContext,
  community: Community,
  discussion: DiscussionDraft,
): Promise<void> {
  const { random } = ctx;
  const writers = activeMembers(discussion.group, discussion.createdAt);
  const pool = writers.length > 0 ? writers.map((member) => member.user) : [discussion.author];
  const endsAt = discussion.closedAt ?? discussion.discardedAt ?? ctx.hoursAgo(1);
  const times = Array.from({ length: random.int(4, 18) }, () =>
    ctx.between(addMinutes(discussion.createdAt, 30), endsAt),
  ).sort((first, second) => first.getTime() - second.getTime());
  const written: Array<{ id: number; item: ThreadItem }> = [];
  for (const createdAt of times) {
    const id = ctx.nextId(Comment);
    const author = random.pick(pool);
    const parent = written.length > 0 && random.chance(0.3) ? random.pick(written) : undefined;
    const body = await commentBody(ctx, community, discussion, id, author, pool, createdAt);
    const editedAt = random.chance(0.1) ? ctx.between(createdAt, endsAt) : null;
    const discardedAt = random.chance(0.03) ? ctx.between(createdAt, ctx.now) : null;
    await ctx.insert(Comment, {
      id,
      discussionId: discussion.id,
      authorId: author.id,
      parentId: parent?.id ?? null,
      body,
      bodyFormat: 'html',
      editedAt,
      discardedAt,
      createdAt,
      updatedAt: discardedAt ?? editedAt ?? createdAt,
    });
    if (editedAt) {
      await ctx.insert(Version, {
        id: ctx.nextId(Version),
        itemType: 'Comment',
        itemId: id,
        event: 'update',
        whodunnit: author.id,
        objectChanges: { body: ['<p>First draft.</p>', body], edited_at: [null, editedAt.toISOString()] },
        createdAt: editedAt,
      });
    }
    if (!discardedAt) {
      await ctx.insert(
        SearchDocument,
        threadSearchDocument(ctx, {
          searchableType: 'Comment',
          searchableId: id,
          discussion,
          authorId: author.id,
          html: body,
          authoredAt: createdAt,
        }),
      );
    }
    const item: ThreadItem = {
      kind: 'new_comment',
      eventableType: 'Comment',
      eventableId: id,
      actorId: author.id,
      at: createdAt,
      parent: parent?.item,
      notify: random
        .sample(pool, random.int(1, 3))
        .filter((user) => user !== author)
        .map((user) => user.id),
    };
    discussion.items.push(item);
    written.push({ id, item });
  }
}

async function commentBody(
  ctx: SeedContext,
  community: Community,
  discussion: DiscussionDraft,
  commentId: number,
  author: SeedUser,
  pool: SeedUser[],
  createdAt: Date,
): Promise<string> {
  const { random } = ctx;
  const parts: string[] = [];
  // Headings without ids: add-heading-ids gives them theirs.
  if (random.chance(0.15)) parts.push(`<h2>${random.pick(COMMENT_HEADINGS)}</h2>`);
  parts.push(`<p>${random.pick(SENTENCES)}</p>`);
  if (random.chance(0.2)) {
    const mentioned = random.pick(pool);
    parts.push(`<p>${mention(mentioned)} ${random.pick(SENTENCES)}</p>`);
  }
  if (random.chance(0.05)) {
    parts.push(
      await seedTask(ctx, community, discussion.group, {
        recordType: 'Comment',
        recordId: commentId,
        author,
        createdAt,
      }),
    );
  }
  return parts.join('');
}

/** Mention markup as the editor writes it; it copies the user's name, which redaction rewrites. */
function mention(user: SeedUser): string {
  const name = displayName(user);
  return `<span class="mention" data-mention-id="${user.username}" data-mention-label="${name}">@${name}</span>`;
}

/**
 * Numbers a thread as the app does: the new_discussion root is sequence 0, items get 1, 2, ... in time order;
 * a reply sits under its parent unless that would pass max_depth, then under the deepest allowed ancestor.
 */
async function writeThread(
  ctx: SeedContext,
  community: Community,
  discussion: DiscussionDraft,
  notified: NotifiedRecipient[],
): Promise<number> {
  const { random } = ctx;
  const root: ThreadItem = {
    kind: 'new_discussion',
    eventableType: 'Discussion',
    eventableId: discussion.id,
    actorId: discussion.author.id,
    at: discussion.createdAt,
    notify: random
      .sample(activeMembers(discussion.group), 4)
      .map((member) => member.user.id)
      .filter((userId) => userId !== discussion.author.id),
  };
  const items = [...discussion.items].sort((first, second) => first.at.getTime() - second.at.getTime());
  await writeEvents(ctx, {
    discussion,
    items: [root, ...items],
    community,
    notified,
    url: (sequenceId) => `/d/${discussion.key}/${sequenceId}`,
  });
  const lastSequenceId = items.length;

  const description = await discussionDescription(ctx, community, discussion);
  const lastActivityAt = items.length > 0 ? items[items.length - 1].at : discussion.createdAt;
  await ctx.insert(Discussion, {
    id: discussion.id,
    groupId: discussion.group.id,
    authorId: discussion.author.id,
    key: discussion.key,
    title: discussion.title,
    description,
    descriptionFormat: 'html',
    private: random.chance(0.9),
    tags: discussion.tags,
    maxDepth: discussion.maxDepth,
    lastSequenceId,
    itemsCount: lastSequenceId,
    lastActivityAt,
    closedAt: discussion.closedAt,
    discardedAt: discussion.discardedAt,
    createdAt: discussion.createdAt,
    updatedAt: lastActivityAt,
  });
  await ctx.insert(Version, {
    id: ctx.nextId(Version),
    itemType: 'Discussion',
    itemId: discussion.id,
    event: 'create',
    whodunnit: discussion.author.id,
    objectChanges: { title: [null, discussion.title], group_id: [null, discussion.group.id] },
    createdAt: discussion.createdAt,
  });
  if (!discussion.discardedAt) {
    await ctx.insert(
      SearchDocument,
      threadSearchDocument(ctx, {
        searchableType: 'Discussion',
        searchableId: discussion.id,
        discussion,
        authorId: discussion.author.id,
        html: description,
        authoredAt: discussion.createdAt,
      }),
    );
  }
  return lastSequenceId;
}

async function discussionDescription(
  ctx: SeedContext,
  community: Community,
  discussion: DiscussionDraft,
): Promise<string> {
  const { random } = ctx;
  const parts = [`<h2>Background</h2><p>${random.pick(SENTENCES)}</p><p>${random.pick(SENTENCES)}</p>`];
  if (needsGuaranteedTasks(community) || random.chance(0.4)) {
    parts.push(
      await seedTask(ctx, community, discussion.group, {
        recordType: 'Discussion',
        recordId: discussion.id,
        author: discussion.author,
        createdAt: discussion.createdAt,
      }),
    );
  }
  return parts.join('');
}
