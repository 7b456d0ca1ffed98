import { SearchDocument } from '../entities';
import type { DiscussionDraft } from './community';
import type { SeedContext } from './seed-context';
import type { SeededPoll } from './seed-polls';

/** The search row of a poll: its title and details. */
export async function writePollSearchDocument(ctx: SeedContext, poll: SeededPoll): Promise<void> {
  await ctx.insert(SearchDocument, {
    id: ctx.nextId(SearchDocument),
    searchableType: 'Poll',
    searchableId: poll.id,
    groupId: poll.group.id,
    discussionId: poll.discussionId,
    pollId: poll.id,
    authorId: poll.authorId,
    content: `${poll.title} ${htmlToText(poll.details)}`,
    authoredAt: poll.createdAt,
    createdAt: poll.createdAt,
    updatedAt: poll.createdAt,
  });
}

interface ThreadSearchable {
  searchableType: 'Discussion' | 'Comment';
  searchableId: number;
  discussion: DiscussionDraft;
  authorId: number;
  html: string;
  authoredAt: Date;
}

/** The search row of a discussion or comment; reindex-search would write the same. */
export function threadSearchDocument(
  ctx: SeedContext,
  { searchableType, searchableId, discussion, authorId, html, authoredAt }: ThreadSearchable,
): Partial<SearchDocument> {
  const text = htmlToText(html);
  return {
    id: ctx.nextId(SearchDocument),
    searchableType,
    searchableId,
    groupId: discussion.group.id,
    discussionId: discussion.id,
    pollId: null,
    authorId,
    content: searchableType === 'Discussion' ? `${discussion.title} ${text}` : text,
    authoredAt,
    createdAt: authoredAt,
    updatedAt: authoredAt,
  };
}

function htmlToText(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
